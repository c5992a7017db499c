import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { p256 } from '@noble/curves/nist.js';
import { CryptoError } from './crypto-error.ts';
import { derToRaw } from './der-signature.ts';
import { generateP256KeyPair, signP256, verifyP256 } from './ecdsa.ts';
import type { RandomSource } from './random-source.ts';

/**
 * The 256-bit curves cardlab signs with (GPCS B.4.3 ECC keys; BSI TR-03111 for brainpool). Both
 * take SHA-256 (GPCS C.3: SHA-256 for 256–383-bit keys) and give 64-byte r‖s signatures.
 */
export type EcCurve = 'P-256' | 'brainpoolP256r1';

export const EC_CURVES: readonly EcCurve[] = ['P-256', 'brainpoolP256r1'];

/** An EC key pair: private scalar (32 bytes) and uncompressed public point 04‖X‖Y (65 bytes). */
export interface EcKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Generates a key pair on `curve` from `random`, drawing again when a candidate is outside [1, n-1]
 * (FIPS 186-5 A.4.2), so a seeded source always yields the same pair. P-256 gives exactly what
 * `generateP256KeyPair` gives.
 */
export function generateEcKeyPair(curve: EcCurve, random: RandomSource): EcKeyPair {
  if (curve === 'P-256') return generateP256KeyPair(random);
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = random.bytes(32);
    if (brainpoolP256r1.utils.isValidSecretKey(candidate)) {
      return { privateKey: candidate, publicKey: brainpoolP256r1.getPublicKey(candidate, false) };
    }
  }
  throw new CryptoError('BAD_KEY', 'random source produced no valid brainpoolP256r1 scalar in 64 draws');
}

/**
 * ECDSA with SHA-256 on `curve`, returning raw r‖s (64 bytes, TR-03111 plain format as GPCS C.3
 * wants). Nonces are RFC 6979 deterministic and s is not normalised, so runs reproduce byte for byte.
 */
export function signEcdsa(curve: EcCurve, privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  if (curve === 'P-256') return signP256(privateKey, message);
  if (!brainpoolP256r1.utils.isValidSecretKey(privateKey)) throw new CryptoError('BAD_KEY', 'not a valid brainpoolP256r1 private key');
  return brainpoolP256r1.sign(message, privateKey, { prehash: true, lowS: false, extraEntropy: false, format: 'compact' });
}

/**
 * Verifies an ECDSA/SHA-256 signature on `curve`, given raw r‖s (64 bytes) or DER. A malformed or
 * wrong signature returns false; only a public key that is not an uncompressed point on the curve
 * throws (CryptoError BAD_KEY). P-256 goes through node:crypto (fast), brainpool through noble.
 */
export function verifyEcdsa(curve: EcCurve, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (curve === 'P-256') return verifyP256(publicKey, message, signature);
  if (publicKey.length !== 65 || publicKey[0] !== 0x04 || !brainpoolP256r1.utils.isValidPublicKey(publicKey, false)) {
    throw new CryptoError('BAD_KEY', 'brainpoolP256r1 public key must be an uncompressed point 04‖X‖Y on the curve');
  }
  let raw: Uint8Array;
  try {
    raw = signature.length === 64 ? signature : derToRaw(signature, 32);
    return brainpoolP256r1.verify(raw, message, publicKey, { prehash: true, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

/** Whether `publicKey` is an uncompressed point on `curve` (what verifyEcdsa accepts). */
export function isValidEcPublicKey(curve: EcCurve, publicKey: Uint8Array): boolean {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) return false;
  const lib = curve === 'P-256' ? p256 : brainpoolP256r1;
  return lib.utils.isValidPublicKey(publicKey, false);
}
