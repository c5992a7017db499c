import { ApduError } from './apdu-error.ts';
import type { ResponseApdu } from './types.ts';

/** The largest response body an extended Le (0000 = 65536) can ask for. */
const MAX_RESPONSE_DATA = 65536;

/**
 * True when SW1-SW2 is a status word ISO/IEC 7816-3 §10.3.1 allows: SW1 in 61..6F or 90..9F
 * (60 is the T=0 procedure byte NULL, never a status).
 */
export function isValidSw(sw: number): boolean {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) return false;
  const sw1 = sw >> 8;
  return (sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f);
}

/**
 * SW1-SW2 of a response APDU as one number (ISO/IEC 7816-4 §5.1.3): the last two bytes.
 * Throws ApduError TOO_SHORT when there are fewer than 2 bytes.
 */
export function swOf(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 2) throw new ApduError('TOO_SHORT', `response APDU of ${n} bytes lacks SW1-SW2`, n);
  return (bytes[n - 2]! << 8) | bytes[n - 1]!;
}

/**
 * Splits a response APDU into its data field and status word (ISO/IEC 7816-4 §5.1.3). `data` is a
 * subarray of `bytes`. Throws ApduError TOO_SHORT (< 2 bytes), BAD_SW (SW1 not 6x/9x), TOO_LONG
 * (more than 65536 data bytes).
 */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu {
  const sw = swOf(bytes);
  const n = bytes.length;
  if (!isValidSw(sw)) throw new ApduError('BAD_SW', `SW1 ${(sw >> 8).toString(16).padStart(2, '0').toUpperCase()} is not a status byte`, n - 2);
  if (n - 2 > MAX_RESPONSE_DATA) throw new ApduError('TOO_LONG', `response data of ${n - 2} bytes exceeds 65536`, MAX_RESPONSE_DATA);
  return { data: bytes.subarray(0, n - 2), sw };
}

/**
 * Encodes `data || SW1 SW2` (ISO/IEC 7816-4 §5.1.3). Throws ApduError BAD_SW for a status word
 * ISO 7816-3 does not allow, TOO_LONG for more than 65536 data bytes.
 */
export function buildResponseApdu(data: Uint8Array, sw: number): Uint8Array {
  if (!isValidSw(sw)) throw new ApduError('BAD_SW', `${sw} is not a valid status word (SW1 must be 61..6F or 90..9F)`);
  if (data.length > MAX_RESPONSE_DATA) throw new ApduError('TOO_LONG', `response data of ${data.length} bytes exceeds 65536`);
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
