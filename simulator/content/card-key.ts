import { createECDH } from 'node:crypto';
import { concat, toHex } from '../../protocol/bytes.ts';
import { CryptoError, signEcdsa, type EcCurve } from '../../protocol/crypto/index.ts';
import type { RandomSource } from '../../protocol/crypto/random-source.ts';
import type { PersistentStore } from '../storage/index.ts';
import { STORE_KEY } from '../storage-keys.ts';

const CURVE_CODE: Record<EcCurve, number> = { 'P-256': 0x00, brainpoolP256r1: 0x01 };

/** Order n of each curve's base point (FIPS 186-5 / SP 800-186 §3.2.1.3; RFC 5639 §3.4). */
const ORDER: Record<EcCurve, bigint> = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  brainpoolP256r1: 0xa9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7n,
};
/** The curves' names in OpenSSL. */
const OPENSSL_CURVE: Record<EcCurve, string> = { 'P-256': 'prime256v1', brainpoolP256r1: 'brainpoolP256r1' };
const ECDH: Partial<Record<EcCurve, ReturnType<typeof createECDH>>> = {};

export interface CardKeyPair {
  curve: EcCurve;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Draws the card's own signing key pair at personalisation (from the card's random source): 32-byte
 * candidates, drawn again while outside [1, n-1] (FIPS 186-5 A.4.2), so exactly the pair
 * `generateEcKeyPair(curve, random)` gives for the same source. The public point d·G is computed by
 * OpenSSL (node:crypto ECDH, some 20 µs) rather than in JavaScript (some 450 µs): it was half the cost
 * of creating a card.
 */
export function createCardKey(curve: EcCurve, random: RandomSource): Uint8Array {
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = random.bytes(32);
    const d = BigInt(`0x${toHex(candidate)}`);
    if (d === 0n || d >= ORDER[curve]) continue;
    // One ECDH object per curve, reused (setPrivateKey replaces the key): making one per card cost as much again.
    const ecdh = (ECDH[curve] ??= createECDH(OPENSSL_CURVE[curve]));
    ecdh.setPrivateKey(candidate);
    return concat(new Uint8Array([CURVE_CODE[curve]]), candidate, new Uint8Array(ecdh.getPublicKey()));
  }
  throw new CryptoError('BAD_KEY', `random source produced no valid ${curve} scalar in 64 draws`);
}

/** The card's key pair as stored: curve code (1) ‖ private key (32) ‖ public key (65, uncompressed). */
export function readCardKey(store: PersistentStore): CardKeyPair | undefined {
  const v = store.get(STORE_KEY.CARD_KEY);
  if (!v) return undefined;
  return { curve: v[0] === 0x01 ? 'brainpoolP256r1' : 'P-256', privateKey: v.subarray(1, 33), publicKey: v.subarray(33, 98) };
}

/** Signs with the card's key: ECDSA with SHA-256 and RFC 6979 nonces, raw r‖s (64 bytes). */
export function signWithCardKey(store: PersistentStore, message: Uint8Array): Uint8Array | undefined {
  const key = readCardKey(store);
  return key ? signEcdsa(key.curve, key.privateKey, message) : undefined;
}
