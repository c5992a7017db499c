import { equalBytes, readUint, u32 } from '../bytes.ts';
import { buildTlv, parseSingleTlv, parseTlv, type Tlv } from '../tlv/index.ts';

/**
 * The body both card-signed requests share — the application request (`71`, S6–S9) and the service
 * start request (`72`, S16) — in one canonical BER-TLV form (ISO/IEC 7816-4 §5.2, shortest lengths,
 * fields in this fixed order):
 * ```
 * <tag> L
 *    80 L <service id, UTF-8, 1–255 bytes>
 *    45 L <CIN, 1–64 bytes>             as in GET DATA 45 (GPCS H.2)
 *    4F L <AID, 5–16 bytes>             the package (71) or the instance (72)
 *    81 10 <nonce, 16 bytes>
 *    82 04 <expiry, unix seconds, big-endian>
 * ```
 * The outer tags differ so that the card's signature over one can never verify as the other.
 */
export interface CardSignedRequestFields {
  serviceId: string;
  cardId: Uint8Array;
  aid: Uint8Array;
  nonce: Uint8Array;
  expiresAt: number;
}

const FIELD = { SERVICE_ID: 0x80, CIN: 0x45, AID: 0x4f, NONCE: 0x81, EXPIRY: 0x82 } as const;
const ORDER = [FIELD.SERVICE_ID, FIELD.CIN, FIELD.AID, FIELD.NONCE, FIELD.EXPIRY];

type ErrorClass = new (message: string) => Error;

/** The canonical bytes under `tag`; a field out of range throws `Err` (`aidName` names the AID in messages). */
export function encodeCardSignedRequest(tag: number, r: CardSignedRequestFields, aidName: string, Err: ErrorClass): Uint8Array {
  const serviceId = new TextEncoder().encode(r.serviceId);
  if (serviceId.length < 1 || serviceId.length > 255) throw new Err(`service id of ${serviceId.length} UTF-8 bytes is not 1–255`);
  if (r.cardId.length < 1 || r.cardId.length > 64) throw new Err(`CIN of ${r.cardId.length} bytes is not 1–64`);
  if (r.aid.length < 5 || r.aid.length > 16) throw new Err(`${aidName} of ${r.aid.length} bytes is not 5–16`);
  if (r.nonce.length !== 16) throw new Err(`nonce of ${r.nonce.length} bytes is not 16`);
  if (!Number.isInteger(r.expiresAt) || r.expiresAt < 0 || r.expiresAt > 0xffffffff) throw new Err(`expiry ${r.expiresAt} is not a 32-bit unix time`);
  return buildTlv(tag, [
    buildTlv(FIELD.SERVICE_ID, serviceId),
    buildTlv(FIELD.CIN, r.cardId),
    buildTlv(FIELD.AID, r.aid),
    buildTlv(FIELD.NONCE, r.nonce),
    buildTlv(FIELD.EXPIRY, u32(r.expiresAt)),
  ]);
}

/**
 * Decodes strictly: one `tag` object, exactly the five fields in order, valid UTF-8, sizes in range,
 * shortest length forms (the input must re-encode to itself, so one request has one signed form).
 */
export function decodeCardSignedRequest(tag: number, bytes: Uint8Array, aidName: string, Err: ErrorClass): CardSignedRequestFields {
  const hex = (t: number) => t.toString(16).toUpperCase();
  let fields: Tlv[];
  try {
    const outer = parseSingleTlv(bytes);
    if (outer.tag !== tag) throw new Err(`tag ${hex(outer.tag)} is not ${hex(tag)}`);
    fields = parseTlv(outer.value);
  } catch (error) {
    if (error instanceof Err) throw error;
    throw new Err(`not BER-TLV: ${(error as Error).message}`);
  }
  if (fields.length !== ORDER.length || fields.some((f, i) => f.tag !== ORDER[i])) throw new Err(`fields must be ${ORDER.map(hex).join(' ')} in this order`);
  const [service, cin, aid, nonce, expiry] = fields.map((f) => f.value) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  if (expiry.length !== 4) throw new Err(`expiry of ${expiry.length} bytes is not 4`);
  let serviceId: string;
  try {
    serviceId = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(service);
  } catch {
    throw new Err('service id is not valid UTF-8');
  }
  const request: CardSignedRequestFields = { serviceId, cardId: cin.slice(), aid: aid.slice(), nonce: nonce.slice(), expiresAt: readUint(expiry) };
  if (!equalBytes(encodeCardSignedRequest(tag, request, aidName, Err), bytes)) throw new Err('request is not in canonical form (length coding)');
  return request;
}
