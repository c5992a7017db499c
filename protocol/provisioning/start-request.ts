import { verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { decodeCardSignedRequest, encodeCardSignedRequest } from './card-signed-request.ts';

/**
 * A card-signed service start (S16): the card asks the provider to start `serviceId` on the
 * application instance `instanceAid`, and signs the request with its certified key (PERFORM
 * SECURITY OPERATION [compute digital signature], ISO/IEC 7816-8 §11.4), so the provider hands the
 * service's start commands only to the card itself, never to someone who merely knows its CIN.
 */
export interface StartRequest {
  serviceId: string;
  /** The card's CIN (tag `45`). */
  cardId: Uint8Array;
  /** The application instance the service starts on. */
  instanceAid: Uint8Array;
  /** 16 fresh bytes from the provider: each signed start is used once. */
  nonce: Uint8Array;
  /** Unix time in seconds after which the provider refuses the request. */
  expiresAt: number;
}

/** Why bytes are not a canonical start request. */
export class StartRequestError extends Error {
  override readonly name = 'StartRequestError';
}

/**
 * Outer tag `72`, not the application request's `71`: the card signs both with the same key, and a
 * signature over one can never verify as the other.
 */
const TAG_START_REQUEST = 0x72;

/**
 * The canonical bytes of a start request, which the card signs and the provider rebuilds:
 * `72 L { 80 service id, 45 CIN, 4F instance AID, 81 nonce, 82 expiry }` in the one form of
 * card-signed-request.ts. Throws StartRequestError for a field out of range.
 */
export function encodeStartRequest(r: StartRequest): Uint8Array {
  return encodeCardSignedRequest(TAG_START_REQUEST, { ...r, aid: r.instanceAid }, 'instance AID', StartRequestError);
}

/** Decodes the bytes of encodeStartRequest strictly (one `72` object, its canonical form). Throws StartRequestError. */
export function decodeStartRequest(bytes: Uint8Array): StartRequest {
  const { aid, ...rest } = decodeCardSignedRequest(TAG_START_REQUEST, bytes, 'instance AID', StartRequestError);
  return { ...rest, instanceAid: aid };
}

/** Checks the card's signature over the encoded start request: ECDSA/SHA-256, raw r‖s or DER; false when wrong. */
export function verifyStartRequestSignature(curve: EcCurve, cardPublicKey: Uint8Array, encoded: Uint8Array, signature: Uint8Array): boolean {
  return verifyEcdsa(curve, cardPublicKey, encoded, signature);
}
