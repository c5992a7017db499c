import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { diversifyCardKeys } from './key-diversification.ts';

const MASTER = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const IIN = fromHex('42434C');

describe('diversifyCardKeys', () => {
  it('gives every card its own three distinct keys, the same ones every time', () => {
    const a = diversifyCardKeys(MASTER, { iin: IIN, cin: fromHex('0102030405060708') }, 0x30);
    const b = diversifyCardKeys(MASTER, { iin: IIN, cin: fromHex('0102030405060709') }, 0x30);
    expect(new Set([a.enc, a.mac, a.dek, b.enc, b.mac, b.dek].map((k) => toHex(k))).size).toBe(6);
    expect(diversifyCardKeys(MASTER, { iin: IIN, cin: fromHex('0102030405060708') }, 0x30)).toEqual(a);
    expect(a.enc).toHaveLength(16);
  });

  it('depends on the key version and the master key', () => {
    const cin = fromHex('0102030405060708');
    const k30 = diversifyCardKeys(MASTER, { iin: IIN, cin }, 0x30);
    expect(toHex(diversifyCardKeys(MASTER, { iin: IIN, cin }, 0x31).enc)).not.toBe(toHex(k30.enc));
    expect(toHex(diversifyCardKeys(MASTER.slice(0, 16), { iin: IIN, cin }, 0x30).enc)).not.toBe(toHex(k30.enc));
    expect(() => diversifyCardKeys(MASTER.slice(0, 5), { iin: IIN, cin }, 0x30)).toThrow(RangeError);
  });
});
