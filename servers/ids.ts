import type { RandomSource } from '../protocol/crypto/index.ts';
import { toHex } from '../protocol/bytes.ts';

/** A version-4 UUID from `random` (RFC 9562 §5.4), so seeded runs produce the same ids. */
export function newId(random: RandomSource): string {
  const b = random.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b).toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Milliseconds since the epoch; injected so tests can move time. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
