import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toAnnotatedText, type TraceEntry } from '../../reader-bridge/index.ts';
import type { CardEntry, TimelineEntry } from './timeline-entry.ts';

/** A timeline as JSON lines, one entry per line in recording order (`scenarios/timeline.schema.json`). */
export function toTimelineJsonLines(entries: readonly TimelineEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/** Reads JSON lines written by {@link toTimelineJsonLines}; blank lines are skipped. */
export function parseTimelineJsonLines(text: string): TimelineEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as TimelineEntry;
      } catch (e) {
        throw new Error(`timeline line ${i + 1}: not JSON (${(e as Error).message})`);
      }
    });
}

const spaced = (hex: string) => hex.replace(/(..)(?=.)/g, '$1 ');

/** A card entry as the APDU trace has it, its secure messaging in its notes: `plain >> …` beside the wrapped bytes. */
function asTraceEntry(e: CardEntry): TraceEntry {
  const note = [...(e.note ?? [])];
  if (e.sm) {
    const arrow = e.dir === 'C' ? '>>' : '<<';
    if (e.sm.status === 'verified' && e.sm.plain !== undefined) {
      note.unshift(`plain ${arrow} ${spaced(e.sm.plain)}  (${e.dir === 'C' ? 'C-MAC' : 'response'} verified with the session keys)`, ...(e.sm.note ?? []).map((n) => `plain: ${n}`));
    } else note.unshift(`secure messaging ${e.sm.status}: ${e.sm.reason ?? ''}`);
  }
  return note.length ? { t: e.t, dir: e.dir, hex: e.hex, note } : { t: e.t, dir: e.dir, hex: e.hex };
}

function line(e: Exclude<TimelineEntry, CardEntry>): string[] {
  const at = `# [${e.t.toFixed(3).padStart(10)} ms]`;
  const json = (v: unknown) => JSON.stringify(v);
  switch (e.kind) {
    case 'run':
      return [`# timeline of "${e.scenario}" (${e.file}), seed ${e.seed}`];
    case 'step':
      return e.phase === 'start'
        ? [`${at} == step ${e.index + 1} ${e.step}: ${e.name}`]
        : [`${at} == step ${e.index + 1} ${e.status} (${e.ms} ms)${e.detail ? `: ${e.detail}` : ''}${e.error ? `: ${e.error}` : ''}`];
    case 'progress':
      return [`${at} terminal ${e.step} ${e.status}: ${e.title}${e.detail ? ` — ${e.detail}` : ''}`];
    case 'http':
      return [
        `${at} http ${e.from} → ${e.to} ${e.method} ${e.path} ${e.status ?? `no response (${e.error})`} (${e.ms} ms)${e.fault ? ` [fault: ${e.fault}]` : ''}`,
        ...(e.request !== undefined ? [`#     → ${json(e.request)}`] : []),
        ...(e.response !== undefined ? [`#     ← ${json(e.response)}`] : []),
      ];
    case 'outbox':
      return [`${at} outbox notification ${e.notification ?? ''} ${e.event === 'delivered' ? 'delivered' : 'not delivered, will retry'} (attempt ${e.attempt}${e.status ? `, ${e.status}` : ''}${e.error ? `, ${e.error}` : ''})`];
    case 'fault':
      return [`${at} fault ${e.event}: ${e.rule}${e.path ? ` (${e.path})` : ''}`];
    case 'restart':
      return [`${at} restart: ${e.what}`];
  }
}

/**
 * The timeline for people: the annotated APDU text (golden-transcript format, so a replay reader still
 * reads it: every other line is a `#` comment), secure messaging shown plain beside the wrapped bytes,
 * and steps, S-markers, HTTP exchanges, outbox deliveries, faults and restarts as annotated comment lines.
 */
export function toTimelineText(entries: readonly TimelineEntry[]): string {
  const out: string[] = [];
  let run: TraceEntry[] = [];
  const flush = () => {
    if (run.length) out.push(toAnnotatedText(run).trimEnd());
    run = [];
  };
  for (const e of entries) {
    if (e.kind === 'card') run.push(asTraceEntry(e));
    else {
      flush();
      out.push(...line(e));
    }
  }
  flush();
  return out.map((l) => `${l}\n`).join('');
}

/** What a scenario's timeline files are called: `<base>.timeline.jsonl` and `.timeline.txt`, beside `<base>.trace.*`. */
export function timelineFiles(dir: string, base: string): { jsonl: string; text: string } {
  return { jsonl: join(dir, `${base}.timeline.jsonl`), text: join(dir, `${base}.timeline.txt`) };
}

/** Writes each run's timeline files into `dir` under the given base names; runs without a timeline write nothing. */
export function writeTimelineFiles(dir: string, runs: ReadonlyArray<{ timeline?: readonly TimelineEntry[] }>, bases: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  runs.forEach((r, i) => {
    if (!r.timeline) return;
    const files = timelineFiles(dir, bases[i]!);
    writeFileSync(files.jsonl, toTimelineJsonLines(r.timeline));
    writeFileSync(files.text, toTimelineText(r.timeline));
  });
}
