/**
 * Byte helpers shared by every party. All binary data in cardlab is a `Uint8Array`
 * (Node's `Buffer` is a subclass and is accepted everywhere).
 */

const HEX_CHARS = '0123456789ABCDEF';

/** Parses hex text; spaces, tabs, newlines and ':' separators are ignored. Throws on odd length or a non-hex character. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0) throw new TypeError(`hex string has an odd number of digits (${clean.length})`);
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new TypeError(`not a hex string: '${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/** Upper-case hex, no separators (the form every trace and transcript uses). */
export function toHex(bytes: Uint8Array, separator = ''): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (i > 0 && separator) s += separator;
    s += HEX_CHARS[b >> 4]! + HEX_CHARS[b & 0x0f]!;
  }
  return s;
}

/** Tagged template: hex`80 CA 9F 7F 00` → bytes. Interpolated values may be hex strings or byte arrays. */
export function hex(strings: TemplateStringsArray, ...values: Array<string | Uint8Array | number>): Uint8Array {
  let text = '';
  strings.forEach((s, i) => {
    text += s;
    if (i < values.length) {
      const v = values[i]!;
      if (typeof v === 'string') text += v;
      else if (typeof v === 'number') text += v.toString(16).padStart(2, '0');
      else text += toHex(v);
    }
  });
  return fromHex(text);
}

/** Concatenates byte arrays into a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time-ish equality (length first, then every byte). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Big-endian unsigned 16-bit value at `offset`. Caller guarantees bounds. */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** Big-endian 2 bytes. */
export function u16(value: number): Uint8Array {
  return new Uint8Array([(value >> 8) & 0xff, value & 0xff]);
}

/** Big-endian 3 bytes. */
export function u24(value: number): Uint8Array {
  return new Uint8Array([(value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/** Big-endian 4 bytes. */
export function u32(value: number): Uint8Array {
  return new Uint8Array([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/** Big-endian unsigned integer of any length up to 6 bytes. */
export function readUint(bytes: Uint8Array): number {
  if (bytes.length > 6) throw new RangeError(`integer of ${bytes.length} bytes does not fit a JS number`);
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** XOR of two equal-length arrays. */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`xor of ${a.length} and ${b.length} bytes`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
