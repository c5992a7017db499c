import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex, toHex } from '../bytes.ts';
import { ApduError } from './apdu-error.ts';
import { buildResponseApdu, isValidSw, parseResponseApdu, swOf } from './response-apdu.ts';

describe('response APDU', () => {
  it('splits data and status word', () => {
    const r = parseResponseApdu(hex`6F108408A000000151000000A5049F6501FF 9000`);
    expect(r.sw).toBe(0x9000);
    expect(toHex(r.data)).toBe('6F108408A000000151000000A5049F6501FF');
  });

  it('reads a bare status word as empty data', () => {
    expect(parseResponseApdu(hex`6A82`)).toEqual({ data: new Uint8Array(0), sw: 0x6a82 });
  });

  it('rejects fewer than 2 bytes (TOO_SHORT)', () => {
    expect(() => parseResponseApdu(hex`90`)).toThrow(expect.objectContaining({ code: 'TOO_SHORT' }));
    expect(() => swOf(new Uint8Array(0))).toThrow(ApduError);
  });

  it('rejects a status byte outside 61..6F / 90..9F (BAD_SW)', () => {
    expect(() => parseResponseApdu(hex`01 02 00 90`)).toThrow(expect.objectContaining({ code: 'BAD_SW', offset: 2 }));
    expect(() => buildResponseApdu(new Uint8Array(0), 0x6000)).toThrow(expect.objectContaining({ code: 'BAD_SW' }));
    expect(() => buildResponseApdu(new Uint8Array(0), 0x19000)).toThrow(expect.objectContaining({ code: 'BAD_SW' }));
  });

  it('rejects response data longer than an extended Le can ask for (TOO_LONG)', () => {
    expect(() => buildResponseApdu(new Uint8Array(65537), 0x9000)).toThrow(expect.objectContaining({ code: 'TOO_LONG' }));
  });

  it('builds data || SW1 SW2', () => {
    expect(toHex(buildResponseApdu(hex`00`, 0x9000))).toBe('009000');
    expect(swOf(hex`AABB6310`)).toBe(0x6310);
  });

  it('round-trips any data with any valid status word', () => {
    const sw = fc.integer({ min: 0, max: 0xffff }).filter(isValidSw);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), sw, (data, s) => {
        const r = parseResponseApdu(buildResponseApdu(data, s));
        expect(r.sw).toBe(s);
        expect(toHex(r.data)).toBe(toHex(data));
      }),
    );
  });

  it('throws nothing but ApduError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (b) => {
        try {
          parseResponseApdu(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ApduError);
        }
      }),
    );
  });
});
