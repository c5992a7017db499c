import { concat } from '../../protocol/bytes.ts';
import { generateEcKeyPair, signEcdsa, type EcCurve } from '../../protocol/crypto/index.ts';
import type { RandomSource } from '../../protocol/crypto/random-source.ts';
import type { PersistentStore } from '../storage/index.ts';
import { STORE_KEY } from '../storage-keys.ts';

const CURVE_CODE: Record<EcCurve, number> = { 'P-256': 0x00, brainpoolP256r1: 0x01 };

export interface CardKeyPair {
  curve: EcCurve;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Draws the card's own signing key pair at personalisation (from the card's random source). */
export function createCardKey(curve: EcCurve, random: RandomSource): Uint8Array {
  const pair = generateEcKeyPair(curve, random);
  return concat(new Uint8Array([CURVE_CODE[curve]]), pair.privateKey, pair.publicKey);
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
