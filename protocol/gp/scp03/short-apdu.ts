import { Scp03Error } from './scp03-error.ts';

/** A plain short C-APDU split into what secure messaging needs; `le` is the raw Le byte, if any. */
export interface ShortCommand {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  le: number | undefined;
}

/**
 * Splits a short command APDU, ISO 7816-4 §5.1 cases 1–4 (GP commands are short: reference §1.2).
 * Kept here rather than borrowed from the APDU codecs so the secure channel has no dependency on them.
 */
export function splitShortCommand(bytes: Uint8Array): ShortCommand {
  if (bytes.length < 4) throw new Scp03Error('BAD_LENGTH', `a command APDU needs 4 header bytes, got ${bytes.length}`);
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (bytes.length === 4) return { cla, ins, p1, p2, data: new Uint8Array(0), le: undefined };
  if (bytes.length === 5) return { cla, ins, p1, p2, data: new Uint8Array(0), le: bytes[4]! };
  const lc = bytes[4]!;
  if (lc !== 0 && bytes.length === 5 + lc) return { cla, ins, p1, p2, data: bytes.subarray(5, 5 + lc), le: undefined };
  if (lc !== 0 && bytes.length === 6 + lc) return { cla, ins, p1, p2, data: bytes.subarray(5, 5 + lc), le: bytes[5 + lc]! };
  throw new Scp03Error('BAD_LENGTH', `not a short command APDU (Lc ${lc}, ${bytes.length} bytes)`);
}
