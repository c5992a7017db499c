import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';

/** Default body limit: every message of these servers fits in far less. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Reads a request body, refusing it as soon as it is known to exceed `limit` bytes (413
 * `payload_too_large`): at once when Content-Length says so, else when the stream passes the limit.
 * Only identity content coding (415 otherwise); an aborted upload is 400 `malformed_json`.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'identity') {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', `content-encoding ${coding} is not accepted`));
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (error: HttpError | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
      if (error) {
        req.pause();
        reject(error);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) return finish(tooLarge(limit));
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onAborted = () => finish(new HttpError(400, 'malformed_json', 'request body could not be read (aborted)'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onAborted);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `request body exceeds ${limit} byte limit`);
}

/**
 * Parses a JSON body strictly: UTF-8 only, and only an object or an array at the top (as
 * body-parser's `strict`); anything else is 400 `malformed_json`.
 */
export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  const first = /^[\s]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw new HttpError(400, 'malformed_json', 'request body is not a JSON object or array');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'malformed_json', 'request body is not valid JSON');
  }
}
