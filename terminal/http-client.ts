import { TerminalError, type ProvisionStep } from './terminal-error.ts';

export interface HttpOptions {
  /** Per-request timeout. */
  timeoutMs: number;
  /** Attempts for idempotent requests (network errors and 5xx are retried, with backoff). */
  attempts: number;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 10_000, attempts: 3 };

export interface JsonAnswer {
  status: number;
  body: any;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One JSON call with the GLOBAL `fetch` (looked up at call time, so msw and other interceptors see it).
 * Idempotent calls are retried on network errors and 5xx (at most `attempts`, 200 ms doubling);
 * others are sent once. A 4xx comes back as an answer; the caller decides.
 */
export async function callJson(step: ProvisionStep, url: string, init: { method?: string; body?: unknown; idempotent: boolean }, options: HttpOptions = DEFAULT_HTTP): Promise<JsonAnswer> {
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
      return { status: response.status, body };
    } catch (err) {
      if (err instanceof TerminalError) throw err;
      last = err;
      if (attempt < attempts) await sleep(200 * 2 ** (attempt - 1));
    }
  }
  if (last instanceof TerminalError) throw last;
  const reason = (last as Error)?.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : ((last as Error)?.message ?? String(last));
  throw new TerminalError(step, 'network', `${url}: ${reason}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`);
}

/** Turns a non-2xx answer into the TerminalError naming the server's own error code. */
export function refusal(step: ProvisionStep, what: string, answer: JsonAnswer): TerminalError {
  const error = answer.body?.error as { code?: string; message?: string } | undefined;
  if (error?.code) return new TerminalError(step, 'refused', `${what} refused: ${error.code} (${error.message ?? ''})`, { status: answer.status, serverCode: error.code });
  return new TerminalError(step, 'bad_answer', `${what}: HTTP ${answer.status} without an error body`, { status: answer.status });
}
