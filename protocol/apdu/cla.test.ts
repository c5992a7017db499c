import { describe, expect, it } from 'vitest';
import { isGpClass, isSecureMessagingClass, logicalChannel } from './cla.ts';

describe('CLA coding (GPCS 11.1.4)', () => {
  it('recognises GP classes on channels 0–3 and 4–19, not ISO ones', () => {
    expect([0x80, 0x83, 0x84, 0x87, 0xc0, 0xcf, 0xe0, 0xef].every(isGpClass)).toBe(true);
    expect([0x00, 0x04, 0x40, 0x6f, 0xa0, 0xff].some(isGpClass)).toBe(false);
  });

  it('sees secure messaging in b3 (84–87, 04–07) or b6 of further classes', () => {
    expect([0x84, 0x87, 0x04, 0x0c, 0xe0, 0x60].every(isSecureMessagingClass)).toBe(true);
    expect([0x80, 0x83, 0x00, 0xc0, 0x40].some(isSecureMessagingClass)).toBe(false);
  });

  it('decodes the logical channel in both layouts', () => {
    expect([0x80, 0x81, 0x86, 0x03].map(logicalChannel)).toEqual([0, 1, 2, 3]);
    expect([0xc0, 0xe5, 0x4f, 0x60].map(logicalChannel)).toEqual([4, 9, 19, 4]);
  });
});
