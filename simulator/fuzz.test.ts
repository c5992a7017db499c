import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../protocol/bytes.ts';
import { createCard } from './index.ts';

/** ISO 7816-4 §5.6: SW1 is 61–6F (except 60) or 90–9F. */
function isIsoStatusWord(sw1: number): boolean {
  return (sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f);
}

function fuzz(runs: number, arbitrary: fc.Arbitrary<Uint8Array>, seed: number): void {
  const card = createCard({ seed: 11 });
  card.powerOn();
  let image = toHex(card.store.committedImage());
  fc.assert(
    fc.property(arbitrary, (bytes) => {
      const r = card.transmit(bytes);
      expect(r.length).toBeGreaterThanOrEqual(2);
      expect(isIsoStatusWord(r[r.length - 2]!)).toBe(true);
      expect(card.lastInternalError).toBeUndefined();
      const after = toHex(card.store.committedImage());
      if (after !== image) {
        // The only persistent change a stranger can cause: a well-formed INITIALIZE UPDATE advances
        // the sequence counter (AMD-D 6.2.2.1).
        expect(bytes[1]).toBe(0x50);
        expect(toHex(r.subarray(r.length - 2))).toBe('9000');
        image = after;
      }
    }),
    { numRuns: runs, seed },
  );
}

const INS_OF_INTEREST = [0xa4, 0xca, 0xf2, 0x50, 0x82, 0xf0, 0xc0, 0xe6, 0xe8, 0xe4, 0xd8, 0x70, 0x2a, 0x88];

describe('card: random input never crashes it nor changes its persistent image', () => {
  it('answers 100,000 random byte strings with a well-formed R-APDU and an ISO status word', () => {
    fuzz(100_000, fc.uint8Array({ minLength: 0, maxLength: 300 }), 20261124);
  });

  it('answers 50,000 random commands with plausible headers (implemented INS, GP and ISO classes)', () => {
    const header = fc.tuple(
      fc.constantFrom(0x00, 0x80, 0x84, 0x04, 0x01, 0x81, 0xff, 0x10, 0xc0),
      fc.constantFrom(...INS_OF_INTEREST),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    );
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 0 }),
      fc.uint8Array({ minLength: 1, maxLength: 1 }),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((d) => Uint8Array.of(d.length, ...d)),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((d) => Uint8Array.of(d.length, ...d, 0)),
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
    );
    fuzz(50_000, fc.tuple(header, body).map(([h, b]) => Uint8Array.of(...h, ...b)), 7);
  });
});
