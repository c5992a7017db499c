import express, { type RequestHandler } from 'express';
import { DEFAULT_BODY_LIMIT } from './read-body.ts';

export { DEFAULT_BODY_LIMIT };

declare module 'express-serve-static-core' {
  interface Request {
    /** The exact body bytes as received: what an HMAC is computed over. */
    rawBody?: Buffer;
  }
}

/**
 * Superseded by the `ApiRouter`, which reads and parses a route's body itself after authenticating
 * (and with the route's own limit); kept for apps not yet moved to router security schemes.
 * JSON body parser that keeps the raw bytes (for HMAC checks), accepts only objects and arrays
 * (`strict`) and refuses anything above `limit` bytes with 413 before parsing it.
 */
export function jsonBody(limit: number = DEFAULT_BODY_LIMIT): RequestHandler {
  return express.json({
    limit,
    strict: true,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buf) => {
      (req as unknown as { rawBody: Buffer }).rawBody = Buffer.from(buf);
    },
  });
}
