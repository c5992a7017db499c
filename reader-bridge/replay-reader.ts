import { fromHex, toHex } from '../protocol/bytes.ts';
import { describeCommand } from '../protocol/describe.ts';
import { ReaderError, ReaderEvents, type Reader, type ReaderErrorCode } from './reader.ts';
import { toAnnotatedText } from './trace/annotated-text.ts';
import { parseTrace } from './trace/parse-trace.ts';
import { around, diffTraces } from './trace/trace-diff.ts';
import type { TraceEntry } from './trace/trace-entry.ts';
import { withTrace } from './trace/with-trace.ts';

export interface ReplayReader extends Reader {
  /** Entries of the trace not yet replayed. */
  readonly remaining: number;
  /** Throws REPLAY_DIVERGED when the host stopped before the end of the recorded dialogue. */
  assertComplete(): void;
}

const ERROR_CODES = new Set<string>(['NO_DAEMON', 'NO_LIBRARY', 'NO_READER', 'NO_CARD', 'CARD_REMOVED', 'POWER_LOSS', 'TIMEOUT', 'REPLAY_DIVERGED', 'TRANSPORT']);

/**
 * A reader whose card is a recorded trace (JSON lines, annotated text, or entries): it answers each
 * power-on, reset and C-APDU the way the recording did, errors included, as long as the host asks the
 * same thing in the same order. At the first different command it throws REPLAY_DIVERGED with an
 * annotated diff: the APDU's number, the expected exchange and the command it got.
 */
export function createReplayReader(trace: string | readonly TraceEntry[], options: { name?: string } = {}): ReplayReader {
  const name = options.name ?? 'replay';
  const entries = typeof trace === 'string' ? parseTrace(trace) : [...trace];
  const events = new ReaderEvents();
  let pos = 0;
  let present = true;
  let apdus = 0;

  /** Card insertions and removals happen to the host: replay them as they come. */
  const skipCardEvents = () => {
    for (let e = entries[pos]; e?.dir === 'EVENT' && (e.note?.[0] === 'card-inserted' || e.note?.[0] === 'card-removed'); e = entries[++pos]) {
      present = e.note[0] === 'card-inserted';
      events.emit(e.note[0] as 'card-inserted' | 'card-removed');
    }
  };
  const replayedError = (e: TraceEntry): ReaderError => {
    const code = e.note?.[1] ?? 'TRANSPORT';
    return new ReaderError(ERROR_CODES.has(code) ? (code as ReaderErrorCode) : 'TRANSPORT', e.note?.[2] ?? `replayed ${code}`);
  };
  const diverged = (what: string, got: TraceEntry[]): ReaderError => {
    const expected = around(entries, pos);
    const show = (es: TraceEntry[]) =>
      es.length ? toAnnotatedText(es, { timestamps: false }).trimEnd().split('\n').map((l) => `  ${l}`) : ['  (nothing: the trace ends here)'];
    return new ReaderError('REPLAY_DIVERGED', [`replay diverged at APDU #${apdus + 1} (trace entry ${pos + 1}): ${what}`, 'expected:', ...show(expected), 'got:', ...show(got)].join('\n'));
  };
  const atr = async (kind: 'power-on' | 'reset'): Promise<Uint8Array> => {
    skipCardEvents();
    // A power-on cuts power first: a recorded power-off before it is part of the same act.
    if (kind === 'power-on' && entries[pos]?.dir === 'EVENT' && entries[pos]!.note?.[0] === 'power-off') pos++;
    const e = entries[pos];
    if (e?.dir === 'EVENT' && e.note?.[0] === 'error') {
      pos++;
      throw replayedError(e);
    }
    if (e?.dir !== 'ATR' || (e.note?.[0] ?? 'power-on') !== kind) throw diverged(`the host asked for a ${kind}`, [{ t: 0, dir: 'EVENT', hex: '', note: [kind] }]);
    pos++;
    return fromHex(e.hex);
  };

  return {
    name,
    get remaining() {
      return entries.length - pos;
    },
    powerOn: () => atr('power-on'),
    reset: () => atr('reset'),
    async powerOff() {
      skipCardEvents();
      if (entries[pos]?.dir === 'EVENT' && entries[pos]!.note?.[0] === 'power-off') pos++;
    },
    async transmit(capdu) {
      skipCardEvents();
      const hex = toHex(capdu);
      const got: TraceEntry[] = [{ t: 0, dir: 'C', hex, note: describeCommand(capdu) }];
      const e = entries[pos];
      if (e?.dir !== 'C') throw diverged(e ? `the trace has ${e.dir === 'ATR' ? `a ${e.note?.[0] ?? 'power-on'}` : e.dir === 'EVENT' ? `the event ${e.note?.[0]}` : 'a response'} here, the host sent a command` : 'the trace has ended, the host sent another command', got);
      if (e.hex !== hex) throw diverged(`the command differs ${firstDifference(e.hex, hex)}`, got);
      const r = entries[pos + 1];
      if (r?.dir === 'R') {
        pos += 2;
        apdus++;
        return fromHex(r.hex);
      }
      if (r?.dir === 'EVENT' && r.note?.[0] === 'error') {
        pos += 2;
        apdus++;
        throw replayedError(r);
      }
      throw diverged('the trace holds no response to this command', got);
    },
    isCardPresent: () => present,
    on: (event, fn) => events.on(event, fn),
    async close() {
      events.clear();
    },
    assertComplete() {
      skipCardEvents();
      const left = entries.slice(pos).filter((e) => e.dir !== 'EVENT' || e.note?.[0] === 'error');
      if (left.length) throw diverged(`the host stopped with ${left.filter((e) => e.dir === 'C').length} APDU(s) of the trace not sent`, []);
    },
  };
}

/** `at byte 5 (expected 9F, got 00)`, or the lengths when one command is a prefix of the other. */
function firstDifference(expected: string, got: string): string {
  for (let i = 0; i < Math.min(expected.length, got.length); i += 2) {
    if (expected.slice(i, i + 2) !== got.slice(i, i + 2)) return `at byte ${i / 2} (expected ${expected.slice(i, i + 2)}, got ${got.slice(i, i + 2)})`;
  }
  return `in length (expected ${expected.length / 2} bytes, got ${got.length / 2})`;
}

/**
 * Plays the host's side of a recorded trace (power-ons, resets, power-offs, C-APDUs) to another reader
 * and checks every answer: the way to hold a real card, or a changed simulator, to a recorded
 * dialogue. Throws REPLAY_DIVERGED at the first different ATR, response or error, with the annotated
 * exchange on both sides; resolves to the new recording when everything matched.
 */
export async function replayTrace(reader: Reader, trace: string | readonly TraceEntry[]): Promise<TraceEntry[]> {
  const all = typeof trace === 'string' ? parseTrace(trace) : trace;
  // The dialogue is what the host does and what the card answers; insertions are the world's doing.
  const dialogue = (es: readonly TraceEntry[]) => es.filter((e) => e.dir !== 'EVENT' || e.note?.[0] === 'power-off' || e.note?.[0] === 'error');
  const expected = dialogue(all);
  const got: TraceEntry[] = [];
  const traced = withTrace(reader, got);
  let step = 0;
  const check = () => {
    const d = diffTraces(expected.slice(0, step), dialogue(got));
    if (d) throw new ReaderError('REPLAY_DIVERGED', `replay against ${reader.name} diverged:\n${d.message}`);
  };
  while (step < expected.length) {
    const e = expected[step]!;
    try {
      if (e.dir === 'ATR') await (e.note?.[0] === 'reset' ? traced.reset() : traced.powerOn());
      else if (e.dir === 'EVENT' && e.note?.[0] === 'power-off') await traced.powerOff();
      else if (e.dir === 'C') {
        step++;
        await traced.transmit(fromHex(e.hex));
      } else if (e.dir === 'R' || e.dir === 'EVENT') throw new ReaderError('REPLAY_DIVERGED', `the trace has a ${e.dir === 'R' ? 'response' : 'error'} without a command at entry ${step + 1}`);
    } catch (err) {
      if (!(err instanceof ReaderError) || err.code === 'REPLAY_DIVERGED') throw err;
      // The error is in `got` now (withTrace recorded it); the comparison decides whether it was expected.
    }
    step++;
    check();
  }
  return got;
}
