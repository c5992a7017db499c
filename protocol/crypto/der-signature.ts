import { concat } from '../bytes.ts';
import { CryptoError } from './crypto-error.ts';

/**
 * ECDSA signatures in the two encodings GlobalPlatform meets: raw r‖s (fixed-size halves, as in
 * GPCS C.3 ECC DAPs and tokens) and DER `SEQUENCE { INTEGER r, INTEGER s }` (X9.62, what JCA and
 * OpenSSL emit). Parsing is strict DER: minimal lengths, minimal positive integers, nothing trailing.
 */

function readLength(der: Uint8Array, offset: number): { length: number; next: number } {
  const first = der[offset];
  if (first === undefined) throw new CryptoError('BAD_DER', 'DER length missing');
  if (first < 0x80) return { length: first, next: offset + 1 };
  // Only 81 xx is plausible for an ECDSA signature (P-521 reaches 139 bytes); it must be ≥ 128.
  const second = der[offset + 1];
  if (first !== 0x81 || second === undefined || second < 0x80) throw new CryptoError('BAD_DER', 'DER length not minimally encoded');
  return { length: second, next: offset + 2 };
}

function readInteger(der: Uint8Array, offset: number, size: number): { value: Uint8Array; next: number } {
  if (der[offset] !== 0x02) throw new CryptoError('BAD_DER', `expected INTEGER at offset ${offset}`);
  const { length, next } = readLength(der, offset + 1);
  if (length === 0 || next + length > der.length) throw new CryptoError('BAD_DER', 'INTEGER length out of range');
  const body = der.subarray(next, next + length);
  if (body[0]! & 0x80) throw new CryptoError('BAD_DER', 'negative INTEGER in signature');
  if (length > 1 && body[0] === 0x00 && !(body[1]! & 0x80)) throw new CryptoError('BAD_DER', 'INTEGER not minimally encoded');
  const magnitude = body[0] === 0x00 ? body.subarray(1) : body;
  if (magnitude.length > size) throw new CryptoError('BAD_DER', `INTEGER longer than ${size} bytes`);
  const value = new Uint8Array(size);
  value.set(magnitude, size - magnitude.length);
  return { value, next: next + length };
}

/** DER `SEQUENCE { r, s }` → raw r‖s with each half left-padded to `size` bytes (32 for P-256). */
export function derToRaw(der: Uint8Array, size = 32): Uint8Array {
  if (der[0] !== 0x30) throw new CryptoError('BAD_DER', 'signature is not a DER SEQUENCE');
  const { length, next } = readLength(der, 1);
  if (next + length !== der.length) throw new CryptoError('BAD_DER', 'SEQUENCE length does not match the signature');
  const r = readInteger(der, next, size);
  const s = readInteger(der, r.next, size);
  if (s.next !== der.length) throw new CryptoError('BAD_DER', 'trailing bytes inside the SEQUENCE');
  return concat(r.value, s.value);
}

function encodeLength(length: number): Uint8Array {
  return length < 0x80 ? Uint8Array.of(length) : Uint8Array.of(0x81, length);
}

function encodeInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0x00) start++;
  const trimmed = magnitude.subarray(start);
  // A leading 00 keeps a high first bit from reading as a negative number.
  const body = trimmed[0]! & 0x80 ? concat(Uint8Array.of(0x00), trimmed) : trimmed;
  return concat(Uint8Array.of(0x02), encodeLength(body.length), body);
}

/** Raw r‖s (two equal halves) → DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new CryptoError('BAD_LENGTH', `raw signature of ${raw.length} bytes has no two equal halves`);
  const half = raw.length / 2;
  const body = concat(encodeInteger(raw.subarray(0, half)), encodeInteger(raw.subarray(half)));
  return concat(Uint8Array.of(0x30), encodeLength(body.length), body);
}
