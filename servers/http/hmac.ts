import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `sha256=<hex>` of HMAC-SHA256(secret, raw body) on issuer → provider notifications. */
export const SIGNATURE_HEADER = 'x-cardlab-signature';

/** HMAC-SHA256 of `body` under `secret`, as `sha256=<lower-case hex>` (the GitHub-webhook convention). */
export function signBody(secret: Uint8Array, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` header value against the body. */
export function verifyBodySignature(secret: Uint8Array, body: Uint8Array, header: string | undefined): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * A domain-separated HMAC (label ‖ 00 ‖ message) for the other uses of the same per-provider secret,
 * e.g. the provider's authorisation of an application request it issued.
 */
export function labelledMac(secret: Uint8Array, label: string, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(label).update(Uint8Array.of(0)).update(message).digest());
}

/**
 * Label of the provider's authorisation of an application request it issued (S6 → S8): the issuer
 * checks HMAC-SHA256(shared secret, label ‖ 00 ‖ encoded request), which proves the nonce is the
 * provider's.
 */
export const REQUEST_AUTHORISATION_LABEL = 'cardlab application-request v1';

/** Constant-time equality of two MACs. */
export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
