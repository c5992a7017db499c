import { setupServer } from 'msw/node';

type Interceptor = ReturnType<typeof setupServer>;
import { http, HttpResponse, bypass, delay } from 'msw';
import type { RunningServers } from '../../servers/index.ts';
import type { FaultSpec } from '../scenario.ts';

/** The process's one msw interceptor on the global fetch (scenarios in a process run one at a time). */
let interceptor: Interceptor | undefined;
let listening = false;

function ensureListening(): Interceptor {
  const server = (interceptor ??= setupServer());
  if (!listening) {
    server.listen({ onUnhandledRequest: 'bypass' });
    listening = true;
  }
  return server;
}

/**
 * Keeps the interceptor listening for as long as something observes the global fetch above it (the
 * timeline's HTTP tap, which must see what a fault answers); the returned function lets it go.
 */
export function holdInterceptor(): () => void {
  ensureListening();
  return () => {
    if (listening && interceptor) {
      interceptor.resetHandlers();
      interceptor.close();
      listening = false;
    }
  };
}

/** Told each time a fault rule answers a request instead of the server: the request's URL and the rule. */
export type FaultFired = (url: string, rule: string, target: 'issuer' | 'provider') => void;

export interface NetworkFaults {
  apply(fault: FaultSpec): string;
  close(): void;
}

/**
 * Network faults on the global `fetch` of this process (msw): on the terminal's calls to the issuer
 * or the provider (matched by the server's current origin, so they survive restarts, and by a path
 * regular expression): a network error, a delay, a response dropped after the server processed the
 * request, or an HTTP status. `notificationFailures` makes the provider's notification endpoint
 * answer 503 the next N times (what the issuer's outbox worker sees).
 */
export function networkFaults(servers: () => RunningServers, onFired?: FaultFired): NetworkFaults {
  let used = false;
  return {
    apply(fault) {
      const done: string[] = [];
      if (fault.clear && used) {
        interceptor?.resetHandlers();
        done.push('network faults cleared');
      }
      if (fault.network) {
        const n = fault.network;
        const server = ensureListening();
        used = true;
        let remaining = n.times ?? 1;
        let skip = n.after ?? 0;
        const path = n.path ? new RegExp(n.path) : undefined;
        const origin = () => (n.target === 'issuer' ? servers().issuerUrl : servers().providerUrl);
        server.use(
          http.all(/.*/, async ({ request }) => {
            const url = new URL(request.url);
            if (url.origin !== origin() || (path && !path.test(url.pathname)) || remaining <= 0) return undefined;
            if (url.pathname === '/notifications') return undefined; // server-to-server traffic is not the terminal's
            if (skip > 0) {
              skip--;
              return undefined;
            }
            remaining--;
            onFired?.(request.url, `${n.kind ?? 'error'} on ${n.target}${n.path ? ` ${n.path}` : ''}`, n.target);
            switch (n.kind ?? 'error') {
              case 'delay':
                await delay(n.delayMs ?? 1000);
                return fetch(bypass(request));
              case 'drop-response':
                await fetch(bypass(request));
                return HttpResponse.error();
              case 'status':
                return HttpResponse.json({ error: { code: 'injected_fault', message: `fault injected by the scenario (${n.status ?? 503})` } }, { status: n.status ?? 503 });
              default:
                return HttpResponse.error();
            }
          }),
        );
        done.push(`${n.kind ?? 'error'} on ${n.target}${n.path ? ` ${n.path}` : ''} (${n.times ?? 1}×${n.after ? ` after ${n.after} request(s)` : ''})`);
      }
      if (fault.notificationFailures) {
        const server = ensureListening();
        used = true;
        let remaining = fault.notificationFailures;
        server.use(
          http.post(/.*\/notifications$/, ({ request }) => {
            if (new URL(request.url).origin !== servers().providerUrl || remaining <= 0) return undefined;
            remaining--;
            onFired?.(request.url, 'notificationFailures: the provider answers 503', 'provider');
            return HttpResponse.json({ error: { code: 'injected_fault', message: 'the provider is unavailable (fault injected)' } }, { status: 503 });
          }),
        );
        done.push(`the provider refuses the next ${fault.notificationFailures} notification(s)`);
      }
      return done.join(', ');
    },
    close() {
      if (used && interceptor) {
        interceptor.resetHandlers();
        interceptor.close();
        listening = false;
      }
    },
  };
}
