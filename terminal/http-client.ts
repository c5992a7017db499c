import { Validator, type Schema } from 'jsonschema';
import type { ApiSchema } from '../protocol/api/index.ts';
import { TerminalError, type ProvisionStep } from './terminal-error.ts';

export interface HttpOptions {
  /** Per-request timeout. */
  timeoutMs: number;
  /** Attempts for idempotent requests (network errors and 5xx are retried, with backoff). */
  attempts: number;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 10_000, attempts: 3 };

/** A server's answer: a 2xx with the body its contract promises, or anything else as it came. */
export type JsonAnswer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: unknown };

/** A refusal's body as both servers send it: `{ error: { code, message, path? } }`. */
type ErrorBody = { error?: { code?: string; message?: string } } | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const validator = new Validator();

export interface CallInit<B> {
  method?: 'GET' | 'POST';
  /** The request body, typed by the contract (protocol/api). */
  body?: B;
  /** Network errors and 5xx are retried only for idempotent calls. */
  idempotent: boolean;
  /** The contract's schema of a 2xx answer: anything else is `bad_answer`. */
  answer?: ApiSchema;
}

/**
 * One JSON call with the GLOBAL `fetch` (looked up at call time, so msw and other interceptors see it).
 * Idempotent calls are retried on network errors and 5xx (at most `attempts`, 200 ms doubling);
 * others are sent once. A 2xx answer is checked against the contract's schema; a 4xx comes back as
 * an answer and the caller decides.
 */
export async function callJson<T, B = unknown>(step: ProvisionStep, url: string, init: CallInit<B>, options: HttpOptions = DEFAULT_HTTP): Promise<JsonAnswer<T>> {
  const attempts = init.idempotent ? Math.max(1, options.attempts) : 1;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await globalThis.fetch(url, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: init.body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        throw new TerminalError(step, 'bad_answer', `${url} answered ${response.status} with a body that is not JSON`, { status: response.status });
      }
      if (response.status >= 500 && attempt < attempts) {
        last = new TerminalError(step, 'network', `${url} answered ${response.status}`, { status: response.status });
        await sleep(200 * 2 ** (attempt - 1));
        continue;
      }
      if (response.status < 200 || response.status > 299) return { ok: false, status: response.status, body };
      if (init.answer) {
        const errors = validator.validate(body, init.answer as Schema, { nestedErrors: false }).errors;
        if (errors.length) throw new TerminalError(step, 'bad_answer', `${url} answered ${response.status} outside its contract: ${errors[0]!.property} ${errors[0]!.message}`, { status: response.status });
      }
      return { ok: true, status: response.status, body: body as T };
    } catch (err) {
      if (err instanceof TerminalError) throw err;
      last = err;
      if (attempt < attempts) await sleep(200 * 2 ** (attempt - 1));
    }
  }
  if (last instanceof TerminalError) throw last;
  const reason = (last as Error)?.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : networkCause(last);
  throw new TerminalError(step, 'network', `${url}: ${reason}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`);
}

/**
 * What went wrong on the network, named by its cause: undici's "fetch failed" hides the system error
 * (ECONNREFUSED, ENOTFOUND, ECONNRESET, …) in `cause`, sometimes inside an AggregateError.
 */
export function networkCause(err: unknown): string {
  const causes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const x = e as { code?: string; message?: string; errors?: unknown[]; cause?: unknown; hostname?: string; address?: string; port?: number };
    if (x.code) {
      const where = x.hostname ?? (x.address ? `${x.address}${x.port ? `:${x.port}` : ''}` : undefined);
      const meaning: Record<string, string> = {
        ECONNREFUSED: 'connection refused',
        ENOTFOUND: 'host not found (DNS)',
        EAI_AGAIN: 'DNS lookup failed (temporary)',
        ECONNRESET: 'connection reset',
        ETIMEDOUT: 'connection timed out',
        EHOSTUNREACH: 'host unreachable',
        UND_ERR_SOCKET: 'connection closed by the server',
        UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
      };
      causes.push(`${meaning[x.code] ?? x.message ?? 'network error'} (${x.code}${where ? ` ${where}` : ''})`);
      break;
    }
    if (Array.isArray(x.errors) && x.errors.length) e = x.errors[0];
    else e = x.cause;
  }
  if (causes.length) return causes[0]!;
  // No system error code: name the innermost cause ("fetch failed: bad port" for a port fetch refuses to use).
  const messages: string[] = [];
  for (let x = err as { message?: string; cause?: unknown } | undefined, depth = 0; x && depth < 4; x = x.cause as typeof x, depth++) if (x.message) messages.push(x.message);
  return messages.length ? messages.join(': ') : String(err);
}

/** The server's own error code of a refusal, if it sent one. */
/** Whether a body is what the contract's schema says (for a refusal's extra fields, which no 2xx check covers). */
export function conformsTo(body: unknown, schema: ApiSchema): boolean {
  return validator.validate(body, schema as Schema, { nestedErrors: false }).errors.length === 0;
}

export function serverCode(answer: JsonAnswer<unknown>): string | undefined {
  return answer.ok ? undefined : (answer.body as ErrorBody)?.error?.code;
}

/** Turns a non-2xx answer into the TerminalError naming the server's own error code. */
export function refusal(step: ProvisionStep, what: string, answer: JsonAnswer<unknown>): TerminalError {
  const error = (answer.body as ErrorBody)?.error;
  if (error?.code) return new TerminalError(step, 'refused', `${what} refused: ${error.code} (${error.message ?? ''})`, { status: answer.status, serverCode: error.code });
  return new TerminalError(step, 'bad_answer', `${what}: HTTP ${answer.status} without an error body`, { status: answer.status });
}
