import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { padIso9797M2, unpadIso9797M2 } from './padding.ts';

describe('ISO 9797-1 method 2 padding', () => {
  it('appends 80 and zeros up to the block size', () => {
    expect(toHex(padIso9797M2(fromHex('4F00')))).toBe('4F008000000000000000000000000000');
  });

  it('adds a whole block to data that already fills one', () => {
    expect(padIso9797M2(new Uint8Array(16)).length).toBe(32);
    expect(toHex(padIso9797M2(new Uint8Array(0), 8))).toBe('8000000000000000');
  });

  it('removes the padding it added', () => {
    const data = fromHex('BF3E035C015A');
    expect(toHex(unpadIso9797M2(padIso9797M2(data))!)).toBe('BF3E035C015A');
    expect(unpadIso9797M2(padIso9797M2(new Uint8Array(0)))!.length).toBe(0);
  });

  it('returns null when the last non-zero byte is not 80', () => {
    expect(unpadIso9797M2(fromHex('4F00010000000000'))).toBeNull();
    expect(unpadIso9797M2(new Uint8Array(16))).toBeNull();
    expect(unpadIso9797M2(new Uint8Array(0))).toBeNull();
  });
});
