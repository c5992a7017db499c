import express, { type RequestHandler } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    /** The exact body bytes as received: what an HMAC is computed over. */
    rawBody?: Buffer;
  }
}

/** Default body limit: every message of these servers fits in far less. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
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
