/**
 * One line of an APDU trace. `C` is a C-APDU as sent, `R` the R-APDU received (its `note` is the
 * exchange's annotation: command name, decoded fields and TLV, status-word meaning), `ATR` the answer
 * to a power-on or reset (`note[0]` says which), `EVENT` anything without bytes: `note[0]` names it
 * (`power-off`, `card-inserted`, `card-removed`, `error`), the rest of `note` gives details (for
 * `error`: the ReaderError code, then its message).
 */
export interface TraceEntry {
  /** Milliseconds since the trace started (µs resolution). */
  t: number;
  dir: 'C' | 'R' | 'ATR' | 'EVENT';
  /** Upper-case hex without separators; empty for EVENT. */
  hex: string;
  note?: string[];
}

export type TraceDir = TraceEntry['dir'];

/** Where a traced reader puts its entries: an array to push to, or a function called per entry. */
export type TraceSink = TraceEntry[] | ((entry: TraceEntry) => void);

/** A trace file could not be read: which line, and why. */
export class TraceParseError extends Error {
  override readonly name = 'TraceParseError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Rounds a duration to the microsecond, the resolution every trace format keeps. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
