import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** A listening HTTP server: its base URL and a close that waits for open connections to end. */
export interface Listening {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** How long a client may take (ms); every message of these servers is small, so the limits are short. */
export interface ListenTimeouts {
  /** From connection (or the end of the last response) to the end of the request headers (default 10 s). */
  headersTimeout?: number;
  /** From connection to the end of the whole request, body included (default 30 s: a 1 MiB CAP on a slow link). */
  requestTimeout?: number;
  /**
   * An idle keep-alive connection is closed after this (default 5 s). Node's clients (undici, and
   * http.Agent) take a second off the `Keep-Alive: timeout=` hint, so 1 s meant a new connection for
   * every request; close() ends idle connections itself.
   */
  keepAliveTimeout?: number;
  /** How often the two timeouts above are checked (default 1 s; Node's own is 30 s). */
  connectionsCheckingInterval?: number;
}

export const LISTEN_TIMEOUTS: Required<ListenTimeouts> = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 };

/**
 * Serves `app` on `host:port` (port 0 picks a free one). The app factories never listen
 * themselves; the CLI and the tests call this. A client that sends its headers or body too slowly
 * (slowloris) gets 408 and the connection closed.
 */
export async function listen(app: Express, port = 0, host = '127.0.0.1', timeouts: ListenTimeouts = {}): Promise<Listening> {
  const t = { ...LISTEN_TIMEOUTS, ...timeouts };
  const server = createServer({ headersTimeout: t.headersTimeout, requestTimeout: t.requestTimeout, connectionsCheckingInterval: t.connectionsCheckingInterval }, app);
  server.keepAliveTimeout = t.keepAliveTimeout;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      })),
  };
}
