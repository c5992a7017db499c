/**
 * Keys whose values never reach a timeline, wherever they appear in a body: the servers' log redaction
 * (servers/http/logger.ts `REDACTED_PATHS`: session ids that admit their holder, key material, secrets,
 * names and addresses) plus the bearer values and personal fields of the admin API.
 */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'sessionId',
  'name',
  'address',
  'keys',
  'privateKey',
  'secret',
  'hmacSecret',
  'adminToken',
  'token',
  'authorization',
  'email',
  'phone',
  'birthDate',
  'dateOfBirth',
]);

export const REDACTED = '[redacted]';

/** A URL's query parameters named like a redacted key (`?sessionId=…`): their values are bearer values too. */
const REDACTED_QUERY = new RegExp(`([?&](?:${[...REDACTED_KEYS].join('|')})=)[^&#\\s"]*`, 'g');

/** A copy of a JSON value with every redacted key's value replaced (in URLs, query parameters of those names too) and every string passed through `text`. */
export function redactBody(value: unknown, text: (s: string) => string = (s) => s): unknown {
  if (typeof value === 'string') return text(value).replace(REDACTED_QUERY, `$1${REDACTED}`);
  if (Array.isArray(value)) return value.map((v) => redactBody(v, text));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, REDACTED_KEYS.has(k) ? REDACTED : redactBody(v, text)]));
  }
  return value;
}

const LOOPBACK = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/g;

/** Loopback origins (whose ports change from run to run) named by their party, `http://127.0.0.1:<port>` otherwise. */
export function scrubOrigins(text: string, origins: ReadonlyMap<string, string>): string {
  return text.replace(LOOPBACK, (origin) => origins.get(origin) ?? origin.replace(/:\d+$/, ':<port>'));
}
