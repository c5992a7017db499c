import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { CryptoError } from './crypto-error.ts';
import { derToRaw } from './der-signature.ts';
import type { RandomSource } from './random-source.ts';

export { derToRaw, rawToDer } from './der-signature.ts';

/** A P-256 key pair: private scalar (32 bytes) and uncompressed public point 04‖X‖Y (65 bytes). */
export interface P256KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Generates a P-256 key pair from `random` (GPCS B.4.3 ECC keys for DAP, tokens, receipts).
 * Candidates outside [1, n-1] are drawn again (FIPS 186-5 A.4.2 rejection sampling), so a seeded
 * source always yields the same pair.
 */
export function generateP256KeyPair(random: RandomSource): P256KeyPair {
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = random.bytes(32);
    if (p256.utils.isValidSecretKey(candidate)) {
      return { privateKey: candidate, publicKey: p256.getPublicKey(candidate, false) };
    }
  }
  throw new CryptoError('BAD_KEY', 'random source produced no valid P-256 scalar in 64 draws');
}

/**
 * ECDSA P-256 with SHA-256 (FIPS 186-5), returning raw r‖s (64 bytes). Nonces are RFC 6979
 * deterministic and s is not normalised, so the output equals RFC 6979 A.2.5 and seeded runs
 * reproduce byte for byte.
 */
export function signP256(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  if (!p256.utils.isValidSecretKey(privateKey)) throw new CryptoError('BAD_KEY', 'not a valid P-256 private key');
  return p256.sign(message, privateKey, { prehash: true, lowS: false, extraEntropy: false, format: 'compact' });
}

// Importing a JWK costs more than the verification; a card re-verifies with the same few keys.
const MAX_CACHED_KEYS = 64;
const publicKeys = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new CryptoError('BAD_KEY', `P-256 public key must be 65 bytes 04‖X‖Y, got ${publicKey.length} bytes`);
  }
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('base64');
  let key = publicKeys.get(id);
  if (key === undefined) {
    const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
    try {
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(publicKey.subarray(1, 33)), y: b64url(publicKey.subarray(33)) }, format: 'jwk' });
    } catch (cause) {
      throw new CryptoError('BAD_KEY', `P-256 public key is not a point on the curve (${(cause as Error).message})`);
    }
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies an ECDSA P-256/SHA-256 signature given raw r‖s (64 bytes) or DER. A malformed or wrong
 * signature returns false; only a malformed public key throws (CryptoError BAD_KEY).
 */
export function verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(publicKey);
  let raw: Uint8Array;
  if (signature.length === 64) raw = signature;
  else {
    try {
      raw = derToRaw(signature, 32);
    } catch {
      return false;
    }
  }
  return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, raw);
}
