import { ApduError } from './apdu-error.ts';
import type { ApduCase, CommandApdu } from './types.ts';

/** Shared by every case-1/2 parse: the hot path allocates nothing but the result object. */
const EMPTY = new Uint8Array(0);

/** The fields a host (or a test) gives to build a command; `data` and `ne` may be left out. */
export interface CommandApduFields {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  ne?: number | undefined;
  /** Force the extended length form even when the short form would fit. */
  extended?: boolean;
}

export type ParseCommandResult = { ok: true; apdu: CommandApdu } | { ok: false; error: ApduError };

/**
 * Parses a command APDU by the ISO/IEC 7816-4 §5.1 decision procedure on the body length L and its
 * first byte B1: L=0 case 1; L=1 case 2S; B1≠0 short Lc (3S if L=1+B1, 4S if L=2+B1); B1=0 and L=3
 * case 2E; otherwise B2B3 is an extended Lc (3E if L=3+Lc, 4E if L=5+Lc). Short Le 00 means Ne=256,
 * extended Le 0000 Ne=65536. `data` is a subarray of `bytes`, not a copy.
 * Throws ApduError (and nothing else) for every other length.
 */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu {
  const n = bytes.length;
  if (n < 4) throw new ApduError('TOO_SHORT', `command APDU of ${n} bytes lacks the 4-byte header`, n);
  const cla = bytes[0]!;
  const ins = bytes[1]!;
  const p1 = bytes[2]!;
  const p2 = bytes[3]!;
  const body = n - 4;
  if (body === 0) return { cla, ins, p1, p2, data: EMPTY, ne: undefined, extended: false };
  const b1 = bytes[4]!;
  if (body === 1) return { cla, ins, p1, p2, data: EMPTY, ne: b1 === 0 ? 256 : b1, extended: false };
  if (b1 !== 0) {
    if (body === 1 + b1) return { cla, ins, p1, p2, data: bytes.subarray(5, n), ne: undefined, extended: false };
    if (body === 2 + b1) {
      const le = bytes[n - 1]!;
      return { cla, ins, p1, p2, data: bytes.subarray(5, n - 1), ne: le === 0 ? 256 : le, extended: false };
    }
    if (body < 1 + b1) throw new ApduError('LC_MISMATCH', `Lc ${b1} promises ${b1} data bytes but ${body - 1} follow`, 4);
    throw new ApduError('TOO_LONG', `${body - 2 - b1} bytes follow the Le of a short case-4 APDU`, 6 + b1);
  }
  // B1 = 00 with more bytes behind it: the extended form.
  if (body === 2) throw new ApduError('BAD_LE', 'extended length 00 xx is missing its third byte', 5);
  const l = (bytes[5]! << 8) | bytes[6]!;
  if (body === 3) return { cla, ins, p1, p2, data: EMPTY, ne: l === 0 ? 65536 : l, extended: true };
  if (l === 0) throw new ApduError('BAD_LC', 'extended Lc 000000 is not allowed (Nc must be 1..65535)', 4);
  if (body === 3 + l) return { cla, ins, p1, p2, data: bytes.subarray(7, n), ne: undefined, extended: true };
  if (body === 5 + l) {
    const le = (bytes[n - 2]! << 8) | bytes[n - 1]!;
    return { cla, ins, p1, p2, data: bytes.subarray(7, n - 2), ne: le === 0 ? 65536 : le, extended: true };
  }
  if (body < 3 + l) throw new ApduError('LC_MISMATCH', `extended Lc ${l} promises ${l} data bytes but ${body - 3} follow`, 4);
  if (body === 4 + l) throw new ApduError('BAD_LE', 'one byte follows the data of an extended APDU; an extended Le needs 2', n - 1);
  throw new ApduError('TOO_LONG', `${body - 5 - l} bytes follow the Le of an extended case-4 APDU`, 9 + l);
}

/** parseCommandApdu as a result value, for callers (the card's dispatcher) that answer errors instead of throwing. */
export function tryParseCommandApdu(bytes: Uint8Array): ParseCommandResult {
  try {
    return { ok: true, apdu: parseCommandApdu(bytes) };
  } catch (error) {
    // Anything but an ApduError is a bug in the parser and must surface, not become a status word.
    if (error instanceof ApduError) return { ok: false, error };
    throw error;
  }
}

function checkHeaderByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new ApduError('BAD_HEADER', `${name} ${value} is not a byte`);
}

/**
 * Encodes a command APDU (ISO/IEC 7816-4 §5.1). The short form is used when Nc ≤ 255 and Ne ≤ 256
 * unless `extended` is set; Ne 256 is coded as short Le 00 and Ne 65536 as extended Le 0000.
 * A case-1 APDU has no length fields, so `extended` has no effect on it.
 * Throws ApduError BAD_LC for data over 65535 bytes, BAD_LE for Ne outside 1..65536.
 */
export function buildCommandApdu(fields: CommandApduFields): Uint8Array {
  const { cla, ins, p1, p2 } = fields;
  checkHeaderByte('CLA', cla);
  checkHeaderByte('INS', ins);
  checkHeaderByte('P1', p1);
  checkHeaderByte('P2', p2);
  const data = fields.data ?? EMPTY;
  const nc = data.length;
  const ne = fields.ne;
  if (nc > 65535) throw new ApduError('BAD_LC', `command data of ${nc} bytes exceeds the extended maximum of 65535`);
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > 65536)) {
    throw new ApduError('BAD_LE', `Ne ${ne} is outside 1..65536 (leave ne undefined for no Le)`);
  }
  const extended = fields.extended === true || nc > 255 || (ne !== undefined && ne > 256);
  const lcSize = nc === 0 ? 0 : extended ? 3 : 1;
  const leSize = ne === undefined ? 0 : !extended ? 1 : nc === 0 ? 3 : 2;
  const out = new Uint8Array(4 + lcSize + nc + leSize);
  out[0] = cla;
  out[1] = ins;
  out[2] = p1;
  out[3] = p2;
  let off = 4;
  if (lcSize === 1) out[off++] = nc;
  else if (lcSize === 3) {
    out[off + 1] = nc >> 8;
    out[off + 2] = nc & 0xff;
    off += 3;
  }
  out.set(data, off);
  off += nc;
  if (ne !== undefined) {
    const le = extended ? ne & 0xffff : ne & 0xff; // 256 → 00 and 65536 → 0000 by truncation
    if (leSize === 1) out[off] = le;
    else {
      // Case 2E leads with 00; in case 4E the extended Lc already announced the extended form.
      if (leSize === 3) off++;
      out[off] = le >> 8;
      out[off + 1] = le & 0xff;
    }
  }
  return out;
}

/** The ISO/IEC 7816-4 §5.1 case of a parsed command: 1 none, 2 Le only, 3 data only, 4 data and Le. */
export function apduCase(apdu: CommandApdu): ApduCase {
  if (apdu.data.length > 0) return apdu.ne === undefined ? 3 : 4;
  return apdu.ne === undefined ? 1 : 2;
}
