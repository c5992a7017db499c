import { describe, expect, it } from 'vitest';
import { hex, toHex } from '../bytes.ts';
import { decodeBerLength, decodeTag, encodeBerLength, encodeTag } from './ber-length.ts';

describe('BER lengths (ISO 7816-4 §5.2.2.2)', () => {
  it('encodes the shortest form at every boundary', () => {
    const cases: Array<[number, string]> = [
      [0, '00'], [0x7f, '7F'], [0x80, '8180'], [0xff, '81FF'], [0x100, '820100'], [0xffff, '82FFFF'], [0x10000, '83010000'],
    ];
    for (const [n, h] of cases) {
      expect(toHex(encodeBerLength(n))).toBe(h);
      expect(decodeBerLength(encodeBerLength(n), 0)).toEqual({ length: n, size: h.length / 2 });
    }
  });

  it('accepts a non-minimal length as BER allows (81 05 = 5)', () => {
    expect(decodeBerLength(hex`81 05`, 0)).toEqual({ length: 5, size: 2 });
  });

  it('refuses lengths it cannot encode (BAD_LENGTH)', () => {
    expect(() => encodeBerLength(0x1000000)).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => encodeBerLength(-1)).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });

  it('decodes at an offset', () => {
    expect(decodeBerLength(hex`AA BB 82 01 57`, 2)).toEqual({ length: 0x157, size: 3 });
  });
});

describe('BER tags (ISO 7816-4 §5.2.2.1)', () => {
  it('encodes 1-, 2- and 3-byte tags', () => {
    expect([0x4f, 0x9f7f, 0xff21, 0xbf3e, 0x9f8101].map((t) => toHex(encodeTag(t)))).toEqual(['4F', '9F7F', 'FF21', 'BF3E', '9F8101']);
  });

  it('refuses numbers that are not well-formed tags (BAD_TAG)', () => {
    for (const t of [0x1f, 0x9f, 0x4f01, 0x9f81, 0x9f0101, 0x1000000]) expect(() => encodeTag(t), t.toString(16)).toThrow(expect.objectContaining({ code: 'BAD_TAG' }));
  });

  it('decodes a tag and its size', () => {
    expect(decodeTag(hex`9F 70 01`, 0)).toEqual({ tag: 0x9f70, size: 2 });
  });
});
