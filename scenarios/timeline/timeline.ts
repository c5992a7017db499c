import { relative } from 'node:path';
import type { TraceEntry } from '../../reader-bridge/index.ts';
import type { StepProgress } from '../../terminal/index.ts';
import { createSecureMessagingObserver, type HeldKeys } from './secure-messaging-observer.ts';
import { scrubOrigins } from './redact.ts';
import type { CardEntry, TimelineEntry } from './timeline-entry.ts';

/** What the recorder needs of a step result (scenarios/run-scenario.ts `StepResult`). */
export interface StepLike {
  index: number;
  kind: string;
  name: string;
  status: 'passed' | 'failed' | 'not-run';
  durationMs: number;
  detail?: string;
  error?: string;
}

/** Milliseconds to the microsecond, the resolution of the APDU traces. */
const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

type Body<E> = E extends TimelineEntry ? Omit<E, 'seq' | 't'> : never;

/**
 * The recorder of one scenario run's timeline: one clock (milliseconds since `createTimeline`), entries in
 * the order they happen. The runner feeds it the card's exchanges (`cardSink`), its steps; the embedded
 * environment the terminal's progress, HTTP exchanges and fired faults. Loopback origins in any text
 * become `<issuer>`/`<provider>` (their ports change from run to run).
 */
export function createTimeline(options: { start?: number } = {}) {
  const start = options.start ?? performance.now();
  const entries: TimelineEntry[] = [];
  const origins = new Map<string, string>();
  let keys: () => readonly HeldKeys[] = () => [];
  const observer = createSecureMessagingObserver(() => keys());
  const now = () => roundMs(performance.now() - start);
  const scrub = (text: string | undefined) => (text === undefined ? undefined : scrubOrigins(text, origins));
  const stepStarts = new Map<number, number>();

  const push = <E extends TimelineEntry>(entry: Body<E>, t = now()): void => {
    const clean = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
    entries.push({ seq: entries.length, t, ...clean } as TimelineEntry);
  };

  const card = (e: TraceEntry): void => {
    const entry: Body<CardEntry> = { kind: 'card', dir: e.dir, hex: e.hex, ...(e.note ? { note: e.note } : {}) };
    if (e.dir === 'ATR' || (e.dir === 'EVENT' && e.note?.[0] !== 'card-inserted')) observer.reset();
    const sm = e.dir === 'C' ? observer.command(e.hex) : e.dir === 'R' ? observer.response(e.hex) : undefined;
    if (sm) entry.sm = sm;
    push(entry);
    // A card fault names itself in the error it causes: the reader wrapper's `(fault tearAtApdu)`, the
    // simulated card's tear at a persistent write (only a scenario's tearAtWrite cuts its power there).
    if (e.dir === 'EVENT' && e.note?.[0] === 'error') {
      const text = e.note.slice(2).join(' ');
      const rule = /\(fault (\w+)\)/.exec(text)?.[1] ?? (/power lost during a persistent write/.test(text) ? 'tearAtWrite' : undefined);
      if (rule) push({ kind: 'fault', event: 'fired', rule: `${rule}: ${e.note[1]}`, target: 'card' });
    }
  };

  return {
    entries,
    now,
    /** The keysets the runner holds for this card (asked at each INITIALIZE UPDATE). */
    holdKeys(source: () => readonly HeldKeys[]): void {
      keys = source;
    },
    /** Names a server's origin (`http://127.0.0.1:port`): texts and bodies show the party instead. */
    nameOrigin(origin: string, party: string): void {
      origins.set(origin.replace(/\/$/, ''), `<${party}>`);
    },
    scrub,
    run(scenario: { name: string; file?: string }, seed: number): void {
      const file = scenario.file ? relative(process.cwd(), scenario.file) || scenario.file : '(inline)';
      push({ kind: 'run', scenario: scenario.name, file, seed });
    },
    /** A trace sink that keeps the card trace as before and records each entry here too. */
    cardSink(trace: TraceEntry[]): (e: TraceEntry) => void {
      return (e) => {
        trace.push(e);
        card(e);
      };
    },
    stepStarted(s: StepLike): void {
      stepStarts.set(s.index, performance.now());
      push({ kind: 'step', phase: 'start', index: s.index, step: s.kind, name: s.name });
    },
    stepEnded(s: StepLike): void {
      push({ kind: 'step', phase: 'end', index: s.index, step: s.kind, name: s.name, status: s.status, detail: scrub(s.detail), error: scrub(s.error), ms: s.durationMs });
      if (s.status !== 'passed') return;
      if (s.kind === 'fault' && s.detail) push({ kind: 'fault', event: 'armed', rule: s.detail });
      if (s.kind === 'restart') push({ kind: 'restart', what: s.name });
    },
    progress(p: StepProgress): void {
      push({ kind: 'progress', step: p.step, title: p.title, status: p.status, detail: scrub(p.detail), ms: p.ms });
    },
    push,
  };
}

export type Timeline = ReturnType<typeof createTimeline>;
