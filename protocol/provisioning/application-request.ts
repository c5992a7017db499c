import { equalBytes, u32, readUint } from '../bytes.ts';
import { verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { buildTlv, parseSingleTlv, parseTlv, type Tlv } from '../tlv/index.ts';

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

const TAG = { REQUEST: 0x71, SERVICE_ID: 0x80, CIN: 0x45, PACKAGE_AID: 0x4f, NONCE: 0x81, EXPIRY: 0x82 } as const;
const ORDER = [TAG.SERVICE_ID, TAG.CIN, TAG.PACKAGE_AID, TAG.NONCE, TAG.EXPIRY];

function check(r: ApplicationRequest): void {
  const serviceId = new TextEncoder().encode(r.serviceId);
  if (serviceId.length < 1 || serviceId.length > 255) throw new ApplicationRequestError(`service id of ${serviceId.length} UTF-8 bytes is not 1–255`);
  if (r.cardId.length < 1 || r.cardId.length > 64) throw new ApplicationRequestError(`CIN of ${r.cardId.length} bytes is not 1–64`);
  if (r.packageAid.length < 5 || r.packageAid.length > 16) throw new ApplicationRequestError(`package AID of ${r.packageAid.length} bytes is not 5–16`);
  if (r.nonce.length !== 16) throw new ApplicationRequestError(`nonce of ${r.nonce.length} bytes is not 16`);
  if (!Number.isInteger(r.expiresAt) || r.expiresAt < 0 || r.expiresAt > 0xffffffff) throw new ApplicationRequestError(`expiry ${r.expiresAt} is not a 32-bit unix time`);
}

/**
 * The canonical bytes of a request, which the card signs and both provider and issuer rebuild:
 * BER-TLV (ISO/IEC 7816-4 §5.2), shortest lengths, fields in this fixed order:
 * ```
 * 71 L                                  application request
 *    80 L <service id, UTF-8, 1–255 bytes>
 *    45 L <CIN, 1–64 bytes>             as in GET DATA 45 (GPCS H.2)
 *    4F L <package AID, 5–16 bytes>
 *    81 10 <nonce, 16 bytes>
 *    82 04 <expiry, unix seconds, big-endian>
 * ```
 * Throws ApplicationRequestError for a field out of range.
 */
export function encodeApplicationRequest(r: ApplicationRequest): Uint8Array {
  check(r);
  return buildTlv(TAG.REQUEST, [
    buildTlv(TAG.SERVICE_ID, new TextEncoder().encode(r.serviceId)),
    buildTlv(TAG.CIN, r.cardId),
    buildTlv(TAG.PACKAGE_AID, r.packageAid),
    buildTlv(TAG.NONCE, r.nonce),
    buildTlv(TAG.EXPIRY, u32(r.expiresAt)),
  ]);
}

/**
 * Decodes the canonical bytes of encodeApplicationRequest, strictly: one `71` object with exactly
 * the five fields in order, valid UTF-8, every size in range and the shortest length forms (the
 * input must re-encode to itself, so one request has one signed form). Throws ApplicationRequestError.
 */
export function decodeApplicationRequest(bytes: Uint8Array): ApplicationRequest {
  let fields: Tlv[];
  try {
    const outer = parseSingleTlv(bytes);
    if (outer.tag !== TAG.REQUEST) throw new ApplicationRequestError(`tag ${outer.tag.toString(16).toUpperCase()} is not 71`);
    fields = parseTlv(outer.value);
  } catch (error) {
    if (error instanceof ApplicationRequestError) throw error;
    throw new ApplicationRequestError(`not BER-TLV: ${(error as Error).message}`);
  }
  if (fields.length !== ORDER.length || fields.some((f, i) => f.tag !== ORDER[i])) {
    throw new ApplicationRequestError(`fields must be ${ORDER.map((t) => t.toString(16).toUpperCase()).join(' ')} in this order`);
  }
  const [service, cin, aid, nonce, expiry] = fields.map((f) => f.value) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  if (expiry.length !== 4) throw new ApplicationRequestError(`expiry of ${expiry.length} bytes is not 4`);
  let serviceId: string;
  try {
    serviceId = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(service);
  } catch {
    throw new ApplicationRequestError('service id is not valid UTF-8');
  }
  const request: ApplicationRequest = { serviceId, cardId: cin.slice(), packageAid: aid.slice(), nonce: nonce.slice(), expiresAt: readUint(expiry) };
  if (!equalBytes(encodeApplicationRequest(request), bytes)) throw new ApplicationRequestError('request is not in canonical form (length coding)');
  return request;
}

/**
 * Checks the card's signature over the encoded request: ECDSA/SHA-256 on the card's curve, raw
 * r‖s or DER. A wrong or malformed signature returns false.
 */
export function verifyApplicationRequestSignature(curve: EcCurve, cardPublicKey: Uint8Array, encoded: Uint8Array, signature: Uint8Array): boolean {
  return verifyEcdsa(curve, cardPublicKey, encoded, signature);
}
