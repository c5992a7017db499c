import { TlvError } from './tlv-error.ts';

/**
 * Encodes a BER length (ISO 7816-4 §5.2.2.2, reference §1.2): 00–7F in one byte, then 81 xx,
 * 82 xxxx, 83 xxxxxx — always the shortest form. Throws TlvError BAD_LENGTH above 16 MiB − 1.
 */
export function encodeBerLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffff) throw new TlvError('BAD_LENGTH', `length ${n} cannot be BER-encoded`, 0);
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
}

/**
 * Decodes the BER length at `offset` (ISO 7816-4 §5.2.2.2): `size` is how many bytes it took.
 * Non-minimal forms such as 81 05 are accepted (BER, not DER: cards send them); 80 (indefinite)
 * and 84+ are not. `end` bounds the read, for lengths inside a constructed value.
 */
export function decodeBerLength(bytes: Uint8Array, offset = 0, end = bytes.length): { length: number; size: number } {
  if (offset >= end) throw new TlvError('TRUNCATED_LENGTH', 'input ends where a length was expected', offset);
  const first = bytes[offset]!;
  if (first < 0x80) return { length: first, size: 1 };
  if (first === 0x80) throw new TlvError('INDEFINITE_LENGTH', 'indefinite length 80 is not allowed in BER-TLV card data', offset);
  const n = first & 0x7f;
  if (n > 3) throw new TlvError('BAD_LENGTH', `a ${n}-byte length field exceeds the 3 bytes allowed`, offset);
  if (offset + 1 + n > end) throw new TlvError('TRUNCATED_LENGTH', `input ends inside a ${1 + n}-byte length`, offset);
  let length = 0;
  for (let i = 1; i <= n; i++) length = (length << 8) | bytes[offset + i]!;
  return { length, size: 1 + n };
}

/**
 * Encodes a tag number (e.g. 0x9F7F, 0xFF21, 0xBF3E) as its 1–3 tag bytes (ISO 7816-4 §5.2.2.1).
 * Throws TlvError BAD_TAG when the number is not a well-formed tag: a one-byte tag may not end in
 * 11111 (that announces more bytes), a multi-byte tag must start with xxx11111, have b8 set on
 * every subsequent byte but the last, and clear on the last.
 */
export function encodeTag(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) throw new TlvError('BAD_TAG', `tag ${tag} is not 1–3 bytes`, 0);
  const bytes = tag <= 0xff ? Uint8Array.of(tag) : tag <= 0xffff ? Uint8Array.of(tag >> 8, tag & 0xff) : Uint8Array.of(tag >> 16, (tag >> 8) & 0xff, tag & 0xff);
  const multi = bytes.length > 1;
  let ok = ((bytes[0]! & 0x1f) === 0x1f) === multi;
  for (let i = 1; i < bytes.length; i++) ok &&= ((bytes[i]! & 0x80) !== 0) === (i < bytes.length - 1);
  if (!ok) throw new TlvError('BAD_TAG', `${tag.toString(16).toUpperCase()} is not a well-formed BER tag`, 0);
  return bytes;
}

/**
 * Reads the tag at `offset` (ISO 7816-4 §5.2.2.1): first byte xxx11111 means more tag bytes follow,
 * each with b8 = 1 except the last. Tags are limited to 3 bytes, as in every GP and ISO data object.
 */
export function decodeTag(bytes: Uint8Array, offset = 0, end = bytes.length): { tag: number; size: number } {
  if (offset >= end) throw new TlvError('TRUNCATED_TAG', 'input ends where a tag was expected', offset);
  let b = bytes[offset]!;
  let tag = b;
  let size = 1;
  if ((b & 0x1f) !== 0x1f) return { tag, size };
  do {
    if (offset + size >= end) throw new TlvError('TRUNCATED_TAG', 'input ends inside a multi-byte tag', offset);
    if (size === 3) throw new TlvError('BAD_TAG', 'tag longer than 3 bytes', offset);
    b = bytes[offset + size]!;
    tag = (tag << 8) | b;
    size++;
  } while (b & 0x80);
  return { tag, size };
}
