import { toAnnotatedText } from './annotated-text.ts';
import type { TraceDir, TraceEntry } from './trace-entry.ts';

export interface TraceDiffOptions {
  /** Compare without timestamps (default true: two runs never share their timing). */
  ignoreTimestamps?: boolean;
  /** Compare only these kinds of entry (default all), e.g. `['ATR', 'C', 'R']` for the card-side dialogue. */
  dirs?: readonly TraceDir[];
  /** Compare every annotation and error message too (default false: annotations follow from the bytes, and only an error's code is compared). */
  compareNotes?: boolean;
}

export interface TraceDiff {
  /** Index of the first differing entry, in the compared (filtered) entries. */
  entry: number;
  /** Number of the APDU (0-based count of C entries before it) where the dialogues part. */
  apdu: number;
  /** The exchange around the difference in each trace (command and response, or the lone entry). */
  expected: TraceEntry[];
  got: TraceEntry[];
  /** The annotated, human-readable account: APDU number, expected and got, in transcript text. */
  message: string;
}

/**
 * Finds the first place two traces part: `undefined` when they tell the same dialogue. The result
 * names the APDU and shows both sides as annotated transcript text.
 */
export function diffTraces(a: readonly TraceEntry[], b: readonly TraceEntry[], options: TraceDiffOptions = {}): TraceDiff | undefined {
  const ignoreTimestamps = options.ignoreTimestamps ?? true;
  const keep = (e: TraceEntry) => !options.dirs || options.dirs.includes(e.dir);
  const xs = a.filter(keep);
  const ys = b.filter(keep);
  const same = (x: TraceEntry, y: TraceEntry) =>
    x.dir === y.dir &&
    x.hex === y.hex &&
    (ignoreTimestamps || x.t === y.t) &&
    (options.compareNotes
      ? (x.note ?? []).join('\n') === (y.note ?? []).join('\n')
      : // An event is its name and, for an error, its code; messages may word the same fault differently.
        x.dir !== 'EVENT' || (x.note ?? []).slice(0, 2).join(' ') === (y.note ?? []).slice(0, 2).join(' '));
  const n = Math.max(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x && y && same(x, y)) continue;
    const commandsBefore = xs.slice(0, i).filter((e) => e.dir === 'C').length;
    // A differing response belongs to the command just before it.
    const apdu = (x?.dir === 'R' || y?.dir === 'R') && xs[i - 1]?.dir === 'C' ? commandsBefore - 1 : commandsBefore;
    const expected = around(xs, i);
    const got = around(ys, i);
    return { entry: i, apdu, expected, got, message: describeDifference(i, apdu, expected, got, x, y) };
  }
  return undefined;
}

/** The exchange entry `i` belongs to: a response is shown with its command, a command with its answer. */
export function around(entries: readonly TraceEntry[], i: number): TraceEntry[] {
  const e = entries[i];
  if (!e) return [];
  const prev = entries[i - 1];
  const next = entries[i + 1];
  if ((e.dir === 'R' || (e.dir === 'EVENT' && e.note?.[0] === 'error')) && prev?.dir === 'C') return [prev, e];
  if (e.dir === 'C' && (next?.dir === 'R' || (next?.dir === 'EVENT' && next.note?.[0] === 'error'))) return [e, next];
  return [e];
}

function describeDifference(entry: number, apdu: number, expected: TraceEntry[], got: TraceEntry[], x: TraceEntry | undefined, y: TraceEntry | undefined): string {
  const what = !x ? 'the second trace goes on' : !y ? 'the second trace ends' : x.dir === 'C' || x.dir === 'R' ? `APDU #${apdu + 1}` : `${x.dir} entry`;
  const show = (es: TraceEntry[]) =>
    es.length === 0
      ? ['  (nothing: the trace ends here)']
      : toAnnotatedText(es, { timestamps: false }).trimEnd().split('\n').map((l) => `  ${l}`);
  return [`traces part at ${what} (entry ${entry + 1}${x?.dir === 'R' || y?.dir === 'R' ? ', the response' : x?.dir === 'C' ? ', the command' : ''}):`, 'expected:', ...show(expected), 'got:', ...show(got)].join('\n');
}
