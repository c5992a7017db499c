import { createHash, randomBytes } from 'node:crypto';

/**
 * Where every random byte in cardlab comes from. The simulator never calls `crypto.randomBytes`
 * directly: it is given a RandomSource, so a seeded card reproduces its APDU trace byte for byte.
 */
export interface RandomSource {
  /** Returns `length` fresh bytes. */
  bytes(length: number): Uint8Array;
}

/** Cryptographically strong randomness from the operating system (for real deployments). */
export function systemRandom(): RandomSource {
  return { bytes: (length) => new Uint8Array(randomBytes(length)) };
}

/**
 * Deterministic randomness: SHA-256 in counter mode over the seed
 * (block_i = SHA-256(seed ‖ i as 8-byte big-endian)). Not for keys that must stay secret in
 * production; exactly what a reproducible test run needs.
 */
export function seededRandom(seed: number | string | Uint8Array): RandomSource {
  const seedBytes =
    typeof seed === 'number' ? new TextEncoder().encode(`cardlab-seed:${seed}`)
    : typeof seed === 'string' ? new TextEncoder().encode(`cardlab-seed:${seed}`)
    : seed;
  let counter = 0n;
  let pool = new Uint8Array(0);
  let poolOffset = 0;
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        if (poolOffset >= pool.length) {
          const ctr = Buffer.alloc(8);
          ctr.writeBigUInt64BE(counter++);
          pool = new Uint8Array(createHash('sha256').update(seedBytes).update(ctr).digest());
          poolOffset = 0;
        }
        const take = Math.min(length - filled, pool.length - poolOffset);
        out.set(pool.subarray(poolOffset, poolOffset + take), filled);
        filled += take;
        poolOffset += take;
      }
      return out;
    },
  };
}
