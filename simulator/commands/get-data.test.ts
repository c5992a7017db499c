import { describe, it, expect } from 'vitest';
import { hex, toHex } from '../../protocol/bytes.ts';
import { createCard } from '../index.ts';

function card() {
  const c = createCard({ seed: 5 });
  c.powerOn();
  return c;
}

describe('GET DATA with a tag list (GPCS 11.3.2.3)', () => {
  it('accepts the tag list 5C 00 of 2F00 and answers as without it (6A88: the card holds no such object)', () => {
    const c = card();
    expect(toHex(c.transmit(hex`80 CA 2F 00 00`))).toBe('6A88');
    expect(toHex(c.transmit(hex`80 CA 2F 00 02 5C 00 00`))).toBe('6A88');
    expect(toHex(c.transmit(hex`80 CA 2F 00 03 5C 01 4F 00`))).toBe('6A88');
  });

  it('refuses 2F00 data that is no tag list (6A80) and command data for other objects (6700)', () => {
    const c = card();
    expect(toHex(c.transmit(hex`80 CA 2F 00 02 4F 00 00`))).toBe('6A80');
    expect(toHex(c.transmit(hex`80 CA 2F 00 03 5C 05 00 00`))).toBe('6A80');
    expect(toHex(c.transmit(hex`80 CA 9F 7F 02 5C 00 00`))).toBe('6700');
  });
});
