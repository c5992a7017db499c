import { pino, type Logger } from 'pino';
import type { RequestHandler } from 'express';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear: personal data and key material must never reach a
 * log line, even when a whole record is logged by mistake.
 */
export const REDACTED_PATHS = [
  'name',
  'address',
  '*.name',
  '*.address',
  'keys',
  '*.keys',
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
  'hmacSecret',
  '*.hmacSecret',
  'req.headers.authorization',
  'req.headers["x-cardlab-signature"]',
];

/** A pino logger with the redaction above; `level: 'silent'` for tests. */
export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    { name: options.name, level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    options.destination ?? process.stdout,
  );
}

/** One log line per request: method, route path (no query, no body), status and duration. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
