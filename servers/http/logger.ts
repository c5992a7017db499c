import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { RequestHandler, Response } from 'express';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear: personal data, key material and bearer values (a SERAM
 * `sessionId` admits its holder to the session) must never reach a log line, even when a whole record
 * is logged by mistake. A top-level `name` or `address` is not here: pino's redaction would also
 * blank the logger's own `name`; `withoutPersonalData` drops those two instead.
 */
export const REDACTED_PATHS = [
  'sessionId',
  '*.sessionId',
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

/** Top-level keys of a log object that would be personal data; dropped, and named in `redacted`. */
const PERSONAL_TOP_LEVEL = ['name', 'address'] as const;

/** pino `formatters.log`: a log object's own `name`/`address` never reach the line. */
function withoutPersonalData(object: Record<string, unknown>): Record<string, unknown> {
  if (!PERSONAL_TOP_LEVEL.some((key) => Object.hasOwn(object, key))) return object;
  const kept = { ...object };
  const redacted: string[] = [];
  for (const key of PERSONAL_TOP_LEVEL) {
    if (Object.hasOwn(kept, key)) {
      delete kept[key];
      redacted.push(key);
    }
  }
  return { ...kept, redacted };
}

/**
 * A pino logger with the redaction above; `level: 'silent'` for tests. `format: 'json'` (the default)
 * writes JSON lines for machines; `'pretty'` one human-readable line per entry (pino-pretty: time, level,
 * message, then the fields), colourised when the destination is a terminal — what `cardlab serve` uses on a TTY.
 */
export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream; format?: 'json' | 'pretty' }): Logger {
  const settings = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { log: withoutPersonalData },
  };
  const stream = options.destination ?? process.stdout;
  if (options.format === 'pretty') {
    const fd = stream === process.stderr ? 2 : stream === process.stdout ? 1 : undefined;
    const tty = (stream as { isTTY?: boolean }).isTTY === true;
    return pino(settings, PinoPretty({ destination: fd ?? stream, sync: true, colorize: tty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  }
  return pino(settings, destinationOf(stream));
}

/**
 * The process's own stdout and stderr go through pino's file-descriptor destination (sonic-boom,
 * synchronous: a line is out before a crash) rather than the stream objects, which cost several
 * times more per line; any other stream (tests) is used as it is.
 */
function destinationOf(stream: NodeJS.WritableStream): NodeJS.WritableStream | ReturnType<typeof pino.destination> {
  if (stream === process.stdout) return pino.destination({ dest: 1, sync: true });
  if (stream === process.stderr) return pino.destination({ dest: 2, sync: true });
  return stream;
}

/**
 * Adds fields (ids only) to the request's one info line, instead of a line of its own: at info level
 * a request is one line, whatever its handler has to tell. Redaction applies to them as to any field.
 */
export function annotateRequestLog(res: Response, fields: Record<string, unknown>): void {
  Object.assign(((res.locals as { log?: Record<string, unknown> }).log ??= {}), fields);
}

/** One log line per request: method, path (no query, no body), status, duration, and the handler's annotations. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    res.on('finish', () => {
      const ms = Math.round((performance.now() - start) * 10) / 10;
      const annotations = (res.locals as { log?: Record<string, unknown> }).log;
      logger.info({ ...annotations, method: req.method, path: req.path, status: res.statusCode, ms }, 'request');
    });
    next();
  };
}
