import { concat } from '../bytes.ts';
import { decodeBerLength, decodeTag, encodeBerLength, encodeTag } from './ber-length.ts';
import { TlvError } from './tlv-error.ts';

/**
 * One BER-TLV data object (ISO 7816-4 §5.2, the X.690 subset GlobalPlatform uses).
 * `constructed` is b6 of the first tag byte (X.690 §8.1.2.5): E3, FF21, 6F, A5 are constructed,
 * 9F7F, 4F, C5 are not. It is read from the tag, never from the content.
 */
export interface Tlv {
  tag: number;
  constructed: boolean;
  /** The value bytes: a subarray of the parsed input, not a copy. */
  value: Uint8Array;
  /** The parsed content of a constructed object, present after a recursive parse (or when built by hand). */
  children?: Tlv[];
}

export interface ParseTlvOptions {
  /** Parse the value of every constructed object into `children`; content that is not BER-TLV is then an error. */
  recursive?: boolean;
}

/** Deeper nesting than this is refused: it protects the stack, and no GP structure goes past 5. */
export const MAX_TLV_DEPTH = 32;

function parseAt(bytes: Uint8Array, offset: number, end: number, recursive: boolean, depth: number): { tlv: Tlv; next: number } {
  const { tag, size: tagSize } = decodeTag(bytes, offset, end);
  const lengthAt = offset + tagSize;
  const { length, size } = decodeBerLength(bytes, lengthAt, end);
  const start = lengthAt + size;
  if (length > end - start) throw new TlvError('VALUE_OVERRUN', `length ${length} runs ${length - (end - start)} bytes past the end`, lengthAt);
  const tlv: Tlv = { tag, constructed: (bytes[offset]! & 0x20) !== 0, value: bytes.subarray(start, start + length) };
  if (recursive && tlv.constructed) {
    if (depth >= MAX_TLV_DEPTH) throw new TlvError('TOO_DEEP', `constructed objects nested more than ${MAX_TLV_DEPTH} deep`, offset);
    tlv.children = parseRange(bytes, start, start + length, true, depth + 1);
  }
  return { tlv, next: start + length };
}

function parseRange(bytes: Uint8Array, offset: number, end: number, recursive: boolean, depth: number): Tlv[] {
  const list: Tlv[] = [];
  while (offset < end) {
    const { tlv, next } = parseAt(bytes, offset, end, recursive, depth);
    list.push(tlv);
    offset = next;
  }
  return list;
}

/**
 * Parses a sequence of BER-TLV objects that must fill `bytes` exactly (ISO 7816-4 §5.2). Strict:
 * no 00/FF padding, no indefinite length, tags ≤ 3 bytes, lengths ≤ 3 bytes. Throws TlvError only.
 */
export function parseTlv(bytes: Uint8Array, options: ParseTlvOptions = {}): Tlv[] {
  return parseRange(bytes, 0, bytes.length, options.recursive === true, 0);
}

/** Parses the one BER-TLV object at `offset`; `next` is the offset just after it. */
export function parseOneTlv(bytes: Uint8Array, offset = 0, options: ParseTlvOptions = {}): { tlv: Tlv; next: number } {
  return parseAt(bytes, offset, bytes.length, options.recursive === true, 0);
}

/**
 * Parses bytes that must hold exactly one BER-TLV object, as a GET DATA response with CLA 80 does
 * (GPCS 11.3.3). Throws TlvError TRAILING_DATA when anything follows it.
 */
export function parseSingleTlv(bytes: Uint8Array, options: ParseTlvOptions = {}): Tlv {
  const { tlv, next } = parseOneTlv(bytes, 0, options);
  if (next !== bytes.length) throw new TlvError('TRAILING_DATA', `${bytes.length - next} bytes follow the TLV`, next);
  return tlv;
}

/**
 * Encodes tag, BER length and value (ISO 7816-4 §5.2). The value is raw bytes, or a list of
 * children: Tlv objects and/or already-encoded TLVs, concatenated in order.
 */
export function buildTlv(tag: number, value: Uint8Array | ReadonlyArray<Tlv | Uint8Array>): Uint8Array {
  const content = value instanceof Uint8Array ? value : concat(...value.map((v) => (v instanceof Uint8Array ? v : encodeTlv(v))));
  return concat(encodeTag(tag), encodeBerLength(content.length), content);
}

/** Encodes a Tlv; `children`, when present, win over `value` so an edited tree re-encodes itself. */
export function encodeTlv(tlv: Tlv): Uint8Array {
  return buildTlv(tlv.tag, tlv.children ?? tlv.value);
}

/**
 * The first object with `tag` in `list`, or following a path of tags through constructed objects:
 * `findTlv(fci, 0x6F, 0xA5, 0x9F65)`. The path only descends into constructed objects; one without
 * `children` is parsed on the way (TlvError if its content is not BER-TLV).
 */
export function findTlv(list: readonly Tlv[], tag: number, ...path: number[]): Tlv | undefined {
  let found = list.find((t) => t.tag === tag);
  for (const next of path) {
    if (!found?.constructed) return undefined;
    found = (found.children ?? parseTlv(found.value)).find((t) => t.tag === next);
  }
  return found;
}

/** Every object with `tag` directly in `list` (e.g. all E3 entries of a GET STATUS response). */
export function findAll(list: readonly Tlv[], tag: number): Tlv[] {
  return list.filter((t) => t.tag === tag);
}
