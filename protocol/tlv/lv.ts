import { concat } from '../bytes.ts';
import { decodeBerLength, encodeBerLength } from './ber-length.ts';
import { TlvError } from './tlv-error.ts';

/**
 * Reads a length-value field with a one-byte length, the coding of AIDs and privileges in the
 * INSTALL data field (GPCS 11.5.2.3, Tables 11-42..11-47). Throws TlvError when the input ends early.
 */
export function readLv(bytes: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  if (offset >= bytes.length) throw new TlvError('TRUNCATED_LENGTH', 'input ends where an LV length was expected', offset);
  const length = bytes[offset]!;
  const start = offset + 1;
  if (length > bytes.length - start) throw new TlvError('VALUE_OVERRUN', `LV length ${length} runs past the end`, offset);
  return { value: bytes.subarray(start, start + length), next: start + length };
}

/**
 * Reads a length-value field with a BER length, the coding of INSTALL parameters and tokens
 * (GPCS 11.5.2.3, reference §1.2). Throws TlvError on a bad or truncated length or an overrun.
 */
export function readBerLv(bytes: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  const { length, size } = decodeBerLength(bytes, offset);
  const start = offset + size;
  if (length > bytes.length - start) throw new TlvError('VALUE_OVERRUN', `LV length ${length} runs past the end`, offset);
  return { value: bytes.subarray(start, start + length), next: start + length };
}

/** `<L> <value>` with a one-byte length (GPCS 11.5.2.3). Throws TlvError BAD_LENGTH above 255 bytes. */
export function lv(value: Uint8Array): Uint8Array {
  if (value.length > 0xff) throw new TlvError('BAD_LENGTH', `LV value of ${value.length} bytes exceeds 255`, 0);
  return concat(Uint8Array.of(value.length), value);
}

/** `<BER L> <value>` (GPCS 11.5.2.3, reference §1.2). */
export function berLv(value: Uint8Array): Uint8Array {
  return concat(encodeBerLength(value.length), value);
}
