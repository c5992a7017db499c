import { TraceParseError, type TraceEntry } from './trace-entry.ts';

const DIRS = new Set(['C', 'R', 'ATR', 'EVENT']);

/** A trace as JSON lines: one `{"t":…,"dir":…,"hex":…,"note":[…]}` object per line, newline-terminated. */
export function toJsonLines(entries: readonly TraceEntry[]): string {
  return entries.map((e) => JSON.stringify(e.note ? { t: e.t, dir: e.dir, hex: e.hex, note: e.note } : { t: e.t, dir: e.dir, hex: e.hex }) + '\n').join('');
}

/**
 * Reads JSON lines written by `toJsonLines`, or a scenario timeline's (entries of another `kind` than
 * `card` are skipped); blank lines are skipped, anything malformed names its line.
 */
export function parseJsonLines(text: string): TraceEntry[] {
  const entries: TraceEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new TraceParseError(i + 1, `not JSON: ${(e as Error).message}`);
    }
    const o = v as Partial<TraceEntry> & { kind?: unknown };
    if (typeof o !== 'object' || o === null) throw new TraceParseError(i + 1, 'a trace entry must be an object');
    // A scenario timeline holds the card's entries (kind "card") among steps, HTTP and the rest: a replay reads only the card's.
    if (o.kind !== undefined && o.kind !== 'card') return;
    if (typeof o.t !== 'number' || !Number.isFinite(o.t)) throw new TraceParseError(i + 1, '"t" must be a number of milliseconds');
    if (typeof o.dir !== 'string' || !DIRS.has(o.dir)) throw new TraceParseError(i + 1, `"dir" must be C, R, ATR or EVENT, not ${JSON.stringify(o.dir)}`);
    if (typeof o.hex !== 'string' || !/^([0-9A-Fa-f]{2})*$/.test(o.hex)) throw new TraceParseError(i + 1, '"hex" must be hex digits in pairs, no separators');
    if (o.note !== undefined && !(Array.isArray(o.note) && o.note.every((n) => typeof n === 'string'))) throw new TraceParseError(i + 1, '"note" must be an array of strings');
    entries.push(o.note ? { t: o.t, dir: o.dir, hex: o.hex.toUpperCase(), note: o.note } : { t: o.t, dir: o.dir, hex: o.hex.toUpperCase() });
  });
  return entries;
}
