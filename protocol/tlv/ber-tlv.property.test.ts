import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../bytes.ts';
import { encodeTlv, parseTlv, type Tlv } from './ber-tlv.ts';
import { TlvError } from './tlv-error.ts';

/** Well-formed tag numbers of 1–3 bytes; b6 of the first byte decides constructed. */
const tagNumber = fc.oneof(
  fc.integer({ min: 0, max: 0xff }).filter((b) => (b & 0x1f) !== 0x1f),
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0x1f, max: 0x7f })).map(([cls, b2]) => (((cls << 5) | 0x1f) << 8) | b2),
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0, max: 0x7f })).map(
    ([cls, b2, b3]) => (((cls << 5) | 0x1f) << 16) | (b2 << 8) | b3,
  ),
);
const firstByte = (tag: number) => (tag > 0xffff ? tag >> 16 : tag > 0xff ? tag >> 8 : tag);
const isConstructed = (tag: number) => (firstByte(tag) & 0x20) !== 0;

/** TLV trees up to 5 levels deep (GP data objects nest at most 4). */
function node(depth: number): fc.Arbitrary<Tlv> {
  if (depth < 0) return fc.constant({ tag: 0x4f, constructed: false, value: new Uint8Array(0) });
  return tagNumber.chain((tag): fc.Arbitrary<Tlv> => {
    if (!isConstructed(tag)) return fc.uint8Array({ maxLength: 300 }).map((value) => ({ tag, constructed: false, value }));
    return fc.array(node(depth - 1), { maxLength: depth === 0 ? 0 : 3 }).map((children) => ({ tag, constructed: true, value: new Uint8Array(0), children }));
  });
}
const tree = node(5);

/** A comparable view: tags, flags, primitive values in hex, children recursively. */
function shape(t: Tlv): unknown {
  return t.children ? [t.tag, t.constructed, t.children.map(shape)] : [t.tag, t.constructed, toHex(t.value)];
}

describe('BER-TLV properties', () => {
  it('parseTlv(encode(tree), recursive) gives back the tree', () => {
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 4 }), (list) => {
        const bytes = Uint8Array.from(list.flatMap((t) => [...encodeTlv(t)]));
        expect(parseTlv(bytes, { recursive: true }).map(shape)).toEqual(list.map(shape));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes make parseTlv throw nothing but TlvError, and what parses re-encodes to the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, recursive) => {
        try {
          const list = parseTlv(bytes, { recursive });
          // Only minimal lengths re-encode byte for byte; BER also allows e.g. 81 05.
          const reencoded = Uint8Array.from(list.flatMap((t) => [...encodeTlv(t)]));
          if (reencoded.length === bytes.length) expect(toHex(reencoded)).toBe(toHex(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(TlvError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
