import { verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { decodeCardSignedRequest, encodeCardSignedRequest } from './card-signed-request.ts';

/**
 * A card-signed service request (claim 3; reference §9.4): the card asks the issuer, through the
 * application provider, for `packageAid` of `serviceId`, and signs the request with its key
 * (PERFORM SECURITY OPERATION [compute digital signature], ISO/IEC 7816-8).
 */
export interface ApplicationRequest {
  serviceId: string;
  /** The card's CIN (tag `45`). */
  cardId: Uint8Array;
  packageAid: Uint8Array;
  /** 16 fresh bytes that make every request unique. */
  nonce: Uint8Array;
  /** Unix time in seconds after which the issuer refuses the request. */
  expiresAt: number;
}

/** Why request bytes are not a canonical application request. */
export class ApplicationRequestError extends Error {
  override readonly name = 'ApplicationRequestError';
}

const TAG_APPLICATION_REQUEST = 0x71;

/**
 * The canonical bytes of a request, which the card signs and both provider and issuer rebuild:
 * `71 L { 80 service id, 45 CIN, 4F package AID, 81 nonce, 82 expiry }` in the one form of
 * card-signed-request.ts. Throws ApplicationRequestError for a field out of range.
 */
export function encodeApplicationRequest(r: ApplicationRequest): Uint8Array {
  return encodeCardSignedRequest(TAG_APPLICATION_REQUEST, { ...r, aid: r.packageAid }, 'package AID', ApplicationRequestError);
}

/**
 * Decodes the canonical bytes of encodeApplicationRequest strictly (one `71` object, the five fields
 * in order, the shortest length forms: one request has one signed form). Throws ApplicationRequestError.
 */
export function decodeApplicationRequest(bytes: Uint8Array): ApplicationRequest {
  const { aid, ...rest } = decodeCardSignedRequest(TAG_APPLICATION_REQUEST, bytes, 'package AID', ApplicationRequestError);
  return { ...rest, packageAid: aid };
}

/**
 * Checks the card's signature over the encoded request: ECDSA/SHA-256 on the card's curve, raw
 * r‖s or DER. A wrong or malformed signature returns false.
 */
export function verifyApplicationRequestSignature(curve: EcCurve, cardPublicKey: Uint8Array, encoded: Uint8Array, signature: Uint8Array): boolean {
  return verifyEcdsa(curve, cardPublicKey, encoded, signature);
}
