import { redactBody } from './redact.ts';
import type { Timeline } from './timeline.ts';
import type { HttpEntry, Party } from './timeline-entry.ts';

/** The path the issuer's outbox posts notifications to, on the provider. */
const NOTIFICATIONS = '/notifications';

export interface HttpTap {
  /** A scenario fault answered the request to `url`: the next exchange recorded for it names `rule`. */
  faultFired(url: string, rule: string, target?: Party): void;
  /** Puts the global fetch back as it found it (unless something replaced the tap since). */
  uninstall(): void;
}

/**
 * Records every call of the process's global `fetch` while installed (the terminal's, the scenario's http
 * steps' and the issuer outbox's: in a scenario they all run in this process) into the timeline: who
 * called whom (by the servers' current origins), method, path, status or error, duration, and JSON bodies
 * redacted. A call to the provider's notification endpoint is the issuer's outbox: it is also an outbox
 * delivery or retry. Install it above any interceptor (msw) so that what a fault answers is recorded too.
 */
export function installHttpTap(timeline: Timeline, origins: () => { issuer?: string; provider?: string }): HttpTap {
  const underlying = globalThis.fetch;
  const fired = new Map<string, { rule: string; target?: Party }>();
  const attempts = new Map<string, number>();

  const partyOf = (origin: string): Party | 'other' => {
    const o = origins();
    if (o.issuer && origin === new URL(o.issuer).origin) return 'issuer';
    if (o.provider && origin === new URL(o.provider).origin) return 'provider';
    return 'other';
  };
  const bodyOf = (text: string | undefined): unknown => {
    if (!text) return undefined;
    try {
      return redactBody(JSON.parse(text), (s) => timeline.scrub(s)!);
    } catch {
      return `(${text.length} bytes, not JSON)`;
    }
  };

  const tap: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const to = partyOf(url.origin);
    if (to !== 'other') timeline.nameOrigin(url.origin, to);
    const from: Party = to === 'provider' && url.pathname === NOTIFICATIONS ? 'issuer' : 'terminal';
    const t = timeline.now();
    const started = performance.now();
    const entry: Omit<HttpEntry, 'seq' | 't'> = { kind: 'http', from, to, method, path: url.pathname };
    if (typeof init?.body === 'string') entry.request = bodyOf(init.body);
    const finish = () => {
      entry.ms = Math.round((performance.now() - started) * 1000) / 1000;
      const fault = fired.get(url.href);
      if (fault) {
        fired.delete(url.href);
        entry.fault = fault.rule;
      }
      timeline.push(entry, t);
      if (from === 'issuer') outbox(init, entry);
    };
    try {
      const response = await underlying(input, init);
      entry.status = response.status;
      entry.response = bodyOf(await response.clone().text().catch(() => undefined));
      finish();
      return response;
    } catch (err) {
      entry.error = timeline.scrub((err as Error).message) ?? 'network error';
      finish();
      throw err;
    }
  };

  const outbox = (init: RequestInit | undefined, e: Omit<HttpEntry, 'seq' | 't'>) => {
    const id = new Headers(init?.headers).get('idempotency-key') ?? undefined;
    const attempt = (attempts.get(id ?? '') ?? 0) + 1;
    attempts.set(id ?? '', attempt);
    const delivered = e.status !== undefined && e.status >= 200 && e.status < 300;
    timeline.push({ kind: 'outbox', event: delivered ? 'delivered' : 'retry', attempt, notification: id, status: e.status, error: e.error });
  };

  globalThis.fetch = tap;
  return {
    faultFired(url, rule, target) {
      fired.set(url, { rule, ...(target ? { target } : {}) });
      timeline.push({ kind: 'fault', event: 'fired', rule, target, path: new URL(url).pathname });
    },
    uninstall() {
      if (globalThis.fetch === tap) globalThis.fetch = underlying;
    },
  };
}
