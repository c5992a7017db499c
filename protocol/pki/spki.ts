import { concat, equalBytes, fromHex } from '../bytes.ts';
import { isValidEcPublicKey, sha1, type EcCurve } from '../crypto/index.ts';
import { PkiError } from './pki-error.ts';

/**
 * SubjectPublicKeyInfo headers (RFC 5480 §2; RFC 5639 §4.1 for brainpool) up to the BIT STRING
 * `03 42 00` that holds the uncompressed point:
 * `SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING 00 04‖X‖Y }`.
 */
const SPKI_HEADERS: Record<EcCurve, Uint8Array> = {
  // 1.2.840.10045.2.1 id-ecPublicKey, 1.2.840.10045.3.1.7 secp256r1
  'P-256': fromHex('3059 3013 06072A8648CE3D0201 06082A8648CE3D030107 034200'),
  // 1.3.36.3.3.2.8.1.1.7 brainpoolP256r1
  brainpoolP256r1: fromHex('305A 3014 06072A8648CE3D0201 06092B2403030208010107 034200'),
};

/** DER SubjectPublicKeyInfo of an uncompressed EC public key (65 bytes 04‖X‖Y). Throws PkiError UNSUPPORTED_KEY. */
export function encodePublicKeySpki(curve: EcCurve, publicKey: Uint8Array): Uint8Array {
  if (!isValidEcPublicKey(curve, publicKey)) throw new PkiError('UNSUPPORTED_KEY', `not an uncompressed ${curve} point`);
  return concat(SPKI_HEADERS[curve], publicKey);
}

/**
 * The curve and 65-byte point of a SubjectPublicKeyInfo. Only the two named curves with an
 * uncompressed point on the curve are accepted; anything else is PkiError UNSUPPORTED_KEY.
 */
export function decodePublicKeySpki(spki: Uint8Array): { curve: EcCurve; publicKey: Uint8Array } {
  for (const [curve, header] of Object.entries(SPKI_HEADERS) as Array<[EcCurve, Uint8Array]>) {
    if (spki.length === header.length + 65 && equalBytes(spki.subarray(0, header.length), header)) {
      const publicKey = spki.slice(header.length);
      if (!isValidEcPublicKey(curve, publicKey)) throw new PkiError('UNSUPPORTED_KEY', `public key is not a point on ${curve}`);
      return { curve, publicKey };
    }
  }
  throw new PkiError('UNSUPPORTED_KEY', 'public key is not an uncompressed P-256 or brainpoolP256r1 key');
}

/** Key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
export function keyIdentifier(publicKey: Uint8Array): Uint8Array {
  return sha1(publicKey);
}
