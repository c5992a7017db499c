import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, toHex } from '../../bytes.ts';
import { parseCommandApdu } from '../../apdu/index.ts';
import { buildComputeDigitalSignature } from './perform-security-operation.ts';

describe('PERFORM SECURITY OPERATION [compute digital signature] (ISO/IEC 7816-8)', () => {
  it('sends short data in one command 00 2A 9E 9A Lc <data> 00', () => {
    expect(buildComputeDigitalSignature(Uint8Array.of(1, 2, 3)).map((c) => toHex(c))).toEqual(['002A9E9A0301020300']);
  });

  it('chains long data: CLA 10 without Le on all but the last, CLA 00 with Le on the last', () => {
    const commands = buildComputeDigitalSignature(new Uint8Array(300).fill(7)).map(parseCommandApdu);
    expect(commands.map((c) => [c.cla, c.data.length, c.ne])).toEqual([
      [0x10, 255, undefined],
      [0x00, 45, 256],
    ]);
    expect(() => buildComputeDigitalSignature(new Uint8Array(0))).toThrow(RangeError);
  });

  it('reassembles to the data for every length and chunk size (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 800 }), fc.integer({ min: 1, max: 255 }), (data, chunk) => {
        const commands = buildComputeDigitalSignature(data, chunk).map(parseCommandApdu);
        expect(toHex(concat(...commands.map((c) => c.data)))).toBe(toHex(data));
        expect(commands.every((c, i) => c.ins === 0x2a && c.p1 === 0x9e && c.p2 === 0x9a && (c.cla === 0x10) === (i < commands.length - 1))).toBe(true);
      }),
    );
  });
});
