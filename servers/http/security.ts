import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { HttpError } from './http-error.ts';
import { SIGNATURE_HEADER, verifyBodySignature } from './hmac.ts';

/**
 * How a route authenticates its caller, given once to the `ApiRouter` under the name routes use in
 * `RouteSpec.security`. The router checks it before the body is read (`authenticate`, headers only)
 * or, for a MAC over the body, on the raw bytes before they are parsed (`verifyBody`).
 */
export interface SecurityScheme {
  /** The OpenAPI 3.0 Security Scheme Object (`components.securitySchemes`). */
  openApi: Record<string, unknown>;
  /** Refuses a request from its headers alone; runs before the body is read. */
  authenticate?: (req: Request) => HttpError | undefined;
  /** Refuses a body from its exact bytes; runs after reading (with the route's limit), before JSON parsing. */
  verifyBody?: (req: Request, raw: Buffer) => HttpError | undefined;
}

/** `Authorization: Bearer <token>` compared in constant time (401 `unauthorized`); an empty token admits no one. */
export function bearerTokenScheme(token: string): SecurityScheme {
  const expected = Buffer.from(token);
  return {
    openApi: { type: 'http', scheme: 'bearer' },
    authenticate: (req) => {
      const header = req.headers.authorization ?? '';
      const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
      if (expected.length === 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return new HttpError(401, 'unauthorized', 'admin token missing or wrong');
      }
      return undefined;
    },
  };
}

/**
 * `x-cardlab-signature: sha256=<HMAC-SHA256(secret, raw body)>` (401 `bad_signature`). A request
 * without the header is refused before its body is read.
 */
export function bodySignatureScheme(secret: () => Uint8Array): SecurityScheme {
  const refusal = () => new HttpError(401, 'bad_signature', `${SIGNATURE_HEADER} is missing or does not match the body`);
  return {
    openApi: { type: 'apiKey', in: 'header', name: SIGNATURE_HEADER },
    authenticate: (req) => (typeof req.headers[SIGNATURE_HEADER] === 'string' ? undefined : refusal()),
    verifyBody: (req, raw) => (verifyBodySignature(secret(), raw, req.headers[SIGNATURE_HEADER] as string) ? undefined : refusal()),
  };
}
