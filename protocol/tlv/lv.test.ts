import { describe, expect, it } from 'vitest';
import { fromHex, hex, toHex } from '../bytes.ts';
import { berLv, lv, readBerLv, readLv } from './lv.ts';

describe('LV fields of GP data (GPCS 11.5.2.3)', () => {
  it('walks the INSTALL [for load] data field of reference §6.6', () => {
    const data = fromHex('07D0D1D2D3D4D50108A000000003000000000AEF08C6020160C80207D000');
    const elf = readLv(data, 0);
    const sd = readLv(data, elf.next);
    const hash = readLv(data, sd.next);
    const params = readBerLv(data, hash.next);
    const token = readBerLv(data, params.next);
    expect([toHex(elf.value), toHex(sd.value), hash.value.length]).toEqual(['D0D1D2D3D4D501', 'A000000003000000', 0]);
    expect(toHex(params.value)).toBe('EF08C6020160C80207D0');
    expect([token.value.length, token.next]).toEqual([0, data.length]);
  });

  it('reads a BER length of 81 xx for a long token', () => {
    const data = new Uint8Array(3 + 128);
    data.set([0x81, 0x80]);
    expect(readBerLv(data, 0)).toMatchObject({ next: 130 });
  });

  it('rejects a missing length (TRUNCATED_LENGTH) and an overrun (VALUE_OVERRUN)', () => {
    expect(() => readLv(hex`07 D0`, 2)).toThrow(expect.objectContaining({ code: 'TRUNCATED_LENGTH' }));
    expect(() => readLv(hex`07 D0 D1`, 0)).toThrow(expect.objectContaining({ code: 'VALUE_OVERRUN', offset: 0 }));
    expect(() => readBerLv(hex`81 80 00`, 0)).toThrow(expect.objectContaining({ code: 'VALUE_OVERRUN' }));
    expect(() => readBerLv(hex`80`, 0)).toThrow(expect.objectContaining({ code: 'INDEFINITE_LENGTH' }));
  });

  it('builds LV and BER-LV fields', () => {
    expect(toHex(lv(hex`A000000151000000`))).toBe('08A000000151000000');
    expect(toHex(berLv(new Uint8Array(200)).subarray(0, 2))).toBe('81C8');
    expect(() => lv(new Uint8Array(256))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });
});
