import { equalBytes, readUint, u32 } from '../bytes.ts';
import { verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { buildTlv, parseSingleTlv, parseTlv, type Tlv } from '../tlv/index.ts';

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
const TAG = { START_REQUEST: 0x72, SERVICE_ID: 0x80, CIN: 0x45, INSTANCE_AID: 0x4f, NONCE: 0x81, EXPIRY: 0x82 } as const;
const ORDER = [TAG.SERVICE_ID, TAG.CIN, TAG.INSTANCE_AID, TAG.NONCE, TAG.EXPIRY];

function check(r: StartRequest): void {
  const serviceId = new TextEncoder().encode(r.serviceId);
  if (serviceId.length < 1 || serviceId.length > 255) throw new StartRequestError(`service id of ${serviceId.length} UTF-8 bytes is not 1–255`);
  if (r.cardId.length < 1 || r.cardId.length > 64) throw new StartRequestError(`CIN of ${r.cardId.length} bytes is not 1–64`);
  if (r.instanceAid.length < 5 || r.instanceAid.length > 16) throw new StartRequestError(`instance AID of ${r.instanceAid.length} bytes is not 5–16`);
  if (r.nonce.length !== 16) throw new StartRequestError(`nonce of ${r.nonce.length} bytes is not 16`);
  if (!Number.isInteger(r.expiresAt) || r.expiresAt < 0 || r.expiresAt > 0xffffffff) throw new StartRequestError(`expiry ${r.expiresAt} is not a 32-bit unix time`);
}

/**
 * The canonical bytes of a start request, which the card signs and the provider rebuilds:
 * BER-TLV (ISO/IEC 7816-4 §5.2), shortest lengths, fields in this fixed order:
 * ```
 * 72 L                                  service start request
 *    80 L <service id, UTF-8, 1–255 bytes>
 *    45 L <CIN, 1–64 bytes>             as in GET DATA 45 (GPCS H.2)
 *    4F L <instance AID, 5–16 bytes>
 *    81 10 <nonce, 16 bytes>
 *    82 04 <expiry, unix seconds, big-endian>
 * ```
 * Throws StartRequestError for a field out of range.
 */
export function encodeStartRequest(r: StartRequest): Uint8Array {
  check(r);
  return buildTlv(TAG.START_REQUEST, [
    buildTlv(TAG.SERVICE_ID, new TextEncoder().encode(r.serviceId)),
    buildTlv(TAG.CIN, r.cardId),
    buildTlv(TAG.INSTANCE_AID, r.instanceAid),
    buildTlv(TAG.NONCE, r.nonce),
    buildTlv(TAG.EXPIRY, u32(r.expiresAt)),
  ]);
}

/**
 * Decodes the bytes of encodeStartRequest strictly: one `72` object, exactly the five fields in
 * order, valid UTF-8, sizes in range, shortest length forms (the input must re-encode to itself).
 * Throws StartRequestError.
 */
export function decodeStartRequest(bytes: Uint8Array): StartRequest {
  let fields: Tlv[];
  try {
    const outer = parseSingleTlv(bytes);
    if (outer.tag !== TAG.START_REQUEST) throw new StartRequestError(`tag ${outer.tag.toString(16).toUpperCase()} is not 72`);
    fields = parseTlv(outer.value);
  } catch (error) {
    if (error instanceof StartRequestError) throw error;
    throw new StartRequestError(`not BER-TLV: ${(error as Error).message}`);
  }
  if (fields.length !== ORDER.length || fields.some((f, i) => f.tag !== ORDER[i])) {
    throw new StartRequestError(`fields must be ${ORDER.map((t) => t.toString(16).toUpperCase()).join(' ')} in this order`);
  }
  const [service, cin, aid, nonce, expiry] = fields.map((f) => f.value) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  if (expiry.length !== 4) throw new StartRequestError(`expiry of ${expiry.length} bytes is not 4`);
  let serviceId: string;
  try {
    serviceId = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(service);
  } catch {
    throw new StartRequestError('service id is not valid UTF-8');
  }
  const request: StartRequest = { serviceId, cardId: cin.slice(), instanceAid: aid.slice(), nonce: nonce.slice(), expiresAt: readUint(expiry) };
  if (!equalBytes(encodeStartRequest(request), bytes)) throw new StartRequestError('request is not in canonical form (length coding)');
  return request;
}

/** Checks the card's signature over the encoded start request: ECDSA/SHA-256, raw r‖s or DER; false when wrong. */
export function verifyStartRequestSignature(curve: EcCurve, cardPublicKey: Uint8Array, encoded: Uint8Array, signature: Uint8Array): boolean {
  return verifyEcdsa(curve, cardPublicKey, encoded, signature);
}
