import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../bytes.ts';
import { parseCommandApdu } from '../../apdu/index.ts';
import { buildDelete, buildDeleteKey, DeleteDataError, parseDeleteData } from './delete.ts';

describe('DELETE (GPCS 11.2, reference §8.1)', () => {
  it('builds the KAOH deletes: package with related objects (P2 80), instance alone (P2 00)', () => {
    expect(toHex(buildDelete(fromHex('D0D1D2D3D4D501'), { related: true }))).toBe('80E40080094F07D0D1D2D3D4D50100');
    expect(toHex(buildDelete(fromHex('D0D1D2D3D4D50101')))).toBe('80E400000A4F08D0D1D2D3D4D5010100');
  });

  it('appends a delete token as 9E (GPCS C.4)', () => {
    expect(toHex(parseCommandApdu(buildDelete(fromHex('A000000151'), { token: fromHex('0102') })).data)).toBe('4F05A0000001519E020102');
  });

  it('parses card content deletes with CRT and token', () => {
    const d = parseDeleteData(fromHex('4F05A000000151B603420111 9E020102'.replace(/ /g, '')));
    expect(d.target).toBe('content');
    expect(toHex(d.aid!)).toBe('A000000151');
    expect(d.target === 'content' && toHex(d.crt!)).toBe('420111');
    expect(d.target === 'content' && toHex(d.token!)).toBe('0102');
  });

  it('parses key deletes by identifier, version or both', () => {
    expect(parseDeleteData(fromHex('D00101D20130'))).toEqual({ target: 'key', keyId: 1, kvn: 0x30 });
    expect(parseDeleteData(fromHex('D20130'))).toEqual({ target: 'key', kvn: 0x30 });
    expect(parseDeleteData(parseCommandApdu(buildDeleteKey({ keyId: 2 })).data)).toEqual({ target: 'key', keyId: 2 });
    expect(() => buildDeleteKey({})).toThrow(RangeError);
  });

  it.each([
    ['empty data', '', 0],
    ['an AID of 4 bytes', '4F04A0000001', 2],
    ['a token before the CRT', '4F05A0000001519E0101B60100', 10],
    ['an unknown tag after the AID', '4F05A0000001518001FF', 7],
    ['a key identifier of 2 bytes', 'D0020101', 2],
    ['D0 twice', 'D00101D00102', 3],
    ['content and key mixed', 'D001014F05A000000151', 3],
    ['a truncated TLV', '4F05A000', 1],
  ])('refuses %s (DeleteDataError → 6A80)', (_name, text, offset) => {
    try {
      parseDeleteData(fromHex(text));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DeleteDataError);
      expect((error as DeleteDataError).offset).toBe(offset);
    }
  });

  it('parses the AID of every DELETE it builds (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 16 }), fc.boolean(), (aid, related) => {
        const apdu = parseCommandApdu(buildDelete(aid, { related }));
        expect(apdu.p2).toBe(related ? 0x80 : 0x00);
        expect(toHex(parseDeleteData(apdu.data).aid!)).toBe(toHex(aid));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (data) => {
        try {
          parseDeleteData(data);
        } catch (error) {
          expect(error).toBeInstanceOf(DeleteDataError);
        }
      }),
    );
  });
});
