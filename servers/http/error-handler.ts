import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from './http-error.ts';

/** body-parser's error types, mapped to our codes: what a client sent wrong is always a 4xx. */
function fromBodyParser(err: { type?: string; status?: number; message?: string; limit?: number }): HttpError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', `request body exceeds ${err.limit ?? 'the'} byte limit`);
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed_json', 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', err.message ?? 'unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError(400, 'malformed_json', err.message ?? 'request body could not be read');
    default:
      return undefined;
  }
}

/** The one error handler: HttpError → its status and body; anything else → 500 `internal_error`, logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let httpError = err instanceof HttpError ? err : fromBodyParser(err as { type?: string });
    if (httpError === undefined) {
      // A 4xx raised by express itself (e.g. a malformed URI) is still the client's fault.
      const status = (err as { status?: number }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) httpError = new HttpError(status, 'invalid_query', (err as Error).message);
    }
    if (httpError === undefined) {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      httpError = new HttpError(500, 'internal_error', 'internal server error');
    }
    if (res.headersSent) return;
    res.status(httpError.status).json(httpError.toBody());
  };
}

/** Last route: anything unmatched is a 404 `not_found` in the same body shape. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
