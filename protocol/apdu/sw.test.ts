import { describe, expect, it } from 'vitest';
import { CardStatusError } from './card-status-error.ts';
import { SW, SW_TABLE, isSuccess, swHex, swMeaning, swName } from './sw.ts';

describe('status-word table', () => {
  it('gives every status word of reference §13 a name and meaning', () => {
    const section13 = [
      0x9000, 0x6200, 0x6283, 0x6300, 0x6310, 0x6400, 0x6438, 0x6581, 0x6700, 0x6881, 0x6882, 0x6982, 0x6983, 0x6985,
      0x6999, 0x6a80, 0x6a81, 0x6a82, 0x6a84, 0x6a86, 0x6a88, 0x6d00, 0x6e00, 0x6f00, 0x9484, 0x9485,
    ];
    const known = new Set(SW_TABLE.map((e) => e.sw));
    for (const sw of section13) expect(known.has(sw), swHex(sw)).toBe(true);
  });

  it('covers the common ISO status words as well', () => {
    expect([SW.END_OF_DATA_REACHED, SW.COMMAND_CHAINING_NOT_SUPPORTED, SW.RECORD_NOT_FOUND, SW.NC_INCONSISTENT_WITH_P1P2, SW.WRONG_P1P2, SW.FILE_ALREADY_EXISTS]).toEqual([
      0x6282, 0x6884, 0x6a83, 0x6a87, 0x6b00, 0x6a89,
    ]);
  });

  it('keeps SW and SW_TABLE in step, one entry per value', () => {
    for (const e of SW_TABLE) expect(SW[e.name]).toBe(e.sw);
    expect(new Set(SW_TABLE.map((e) => e.sw)).size).toBe(SW_TABLE.length);
    for (const e of SW_TABLE) expect(e.meaning.length > 0 && e.ref.length > 0).toBe(true);
  });

  it('names and explains table entries the way the reference words them', () => {
    expect(swName(0x6982)).toBe('SECURITY_STATUS_NOT_SATISFIED');
    expect(swMeaning(0x9000)).toBe('success');
    expect(swMeaning(SW.FILE_NOT_FOUND)).toBe('application/file not found');
    expect(swHex(0x6a82)).toBe('6A82');
    expect(swHex(0x9000)).toBe('9000');
  });

  it('decodes 61xx with 00 meaning 256 bytes', () => {
    expect(swName(0x6110)).toBe('MORE_BYTES_AVAILABLE');
    expect(swMeaning(0x6110)).toMatch(/^16 more response bytes/);
    expect(swMeaning(0x6100)).toMatch(/^256 more response bytes/);
  });

  it('decodes 6Cxx as the exact Le to resend', () => {
    expect(swName(0x6c2a)).toBe('WRONG_LE');
    expect(swMeaning(0x6c2a)).toBe('wrong Le: exact length is 42');
  });

  it('decodes 63Cx as a counter and other 9xxx as application-specific', () => {
    expect(swName(0x63c2)).toBe('COUNTER');
    expect(swMeaning(0x63c2)).toMatch(/counter 2/);
    expect(swName(0x9101)).toBe('APPLICATION_SPECIFIC');
    expect(swMeaning(0x9101)).toBe('application-specific status');
  });

  it('falls back to the SW1 family for unnamed values, and UNKNOWN outside ISO ranges', () => {
    expect(swMeaning(0x6a99)).toBe('wrong parameters P1-P2');
    expect(swName(0x1234)).toBe('UNKNOWN');
    expect(swMeaning(0x1234)).toBe('unknown status word');
  });

  it('counts 9000 and 61xx as success, warnings and errors not', () => {
    expect([0x9000, 0x6100, 0x61ff].every(isSuccess)).toBe(true);
    expect([0x6310, 0x6283, 0x6a82, 0x9100].some(isSuccess)).toBe(false);
  });
});

describe('CardStatusError', () => {
  it('carries the status word and a message naming it', () => {
    const e = new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'AID already registered');
    expect(e).toBeInstanceOf(Error);
    expect(e.sw).toBe(0x6985);
    expect(e.detail).toBe('AID already registered');
    expect(e.message).toBe('6985 conditions of use not satisfied: AID already registered');
    expect(new CardStatusError(0x6a88).message).toBe('6A88 referenced data not found');
  });
});
