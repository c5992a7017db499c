/**
 * A small round-robin HTTP load balancer for tests and benchmarks (node:http): each request goes to the
 * instance after the one its client's previous request went to, so consecutive requests of one client
 * never meet the same instance while two or more are alive. A client is named by the `x-terminal`
 * header (`terminalHeaders` sets it from an AsyncLocalStorage around the global fetch); requests
 * without one share one rotation. The request body is read whole first, so that a request an instance
 * refuses to connect (ECONNREFUSED: it is dead) is sent again to the next one, as a load balancer does;
 * a connection lost after the request went out answers 502 (the instance may have acted on it: only
 * the client knows whether it may send it again). Every request is recorded with the instance that
 * answered it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';

export const TERMINAL_HEADER = 'x-terminal';

/** One request as the balancer handled it. */
export interface Forwarded {
  /** The `x-terminal` header, or '' when absent. */
  terminal: string;
  method: string;
  /** The path without its query. */
  path: string;
  /** Index of the instance that answered, or -1 when none did. */
  instance: number;
  status: number;
  /** Instances that refused the connection before one answered. */
  refused: number[];
  /** The connection to the answering instance was lost before its answer (a 502 was sent). */
  lost: boolean;
}

export interface RoundRobinProxy {
  url: string;
  forwarded: Forwarded[];
  close(): Promise<void>;
}

type Attempt = { status: number; headers: IncomingHttpHeaders; body: Buffer } | { refused: true } | { lost: string };

/**
 * Starts a balancer over `targets` (base URLs) on a free loopback port. `onAnswer` sees each answered request
 * before its answer goes back to the client (a test kills an instance at a chosen point of a flow there).
 */
export async function startRoundRobinProxy(targets: string[], options: { onAnswer?: (f: Forwarded) => void } = {}): Promise<RoundRobinProxy> {
  const forwarded: Forwarded[] = [];
  const last = new Map<string, number>();
  // A new client starts where the previous new one did not, so that clients do not march in step.
  let fresh = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  const send = (target: number, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Attempt> =>
    new Promise((resolve) => {
      const to = new URL(targets[target]!);
      const out = request({ host: to.hostname, port: to.port, method, path, headers: { ...headers, 'content-length': String(body.length) }, agent }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
        answer.on('error', (err) => resolve({ lost: err.message }));
      });
      out.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? { refused: true } : { lost: err.message }));
      out.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const terminal = String(req.headers[TERMINAL_HEADER] ?? '');
      const body = Buffer.concat(chunks);
      const record: Forwarded = { terminal, method: req.method ?? 'GET', path: (req.url ?? '').replace(/\?.*$/, ''), instance: -1, status: 502, refused: [], lost: false };
      forwarded.push(record);
      const previous = last.get(terminal);
      const start = previous === undefined ? fresh++ % targets.length : (previous + 1) % targets.length;
      // Every instance at most once, starting after this client's last one.
      for (let k = 0; k < targets.length; k++) {
        const target = (start + k) % targets.length;
        // The Host header stays the balancer's: the issuer builds the SERAM URLs from it.
        const answer = await send(target, record.method, req.url ?? '/', req.headers, body);
        if ('refused' in answer) {
          record.refused.push(target);
          continue;
        }
        last.set(terminal, target);
        record.instance = target;
        if ('lost' in answer) {
          record.lost = true;
          res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'bad_gateway', message: `instance ${target}: ${answer.lost}` } }));
          return;
        }
        record.status = answer.status;
        options.onAnswer?.(record);
        const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...headersOut } = answer.headers;
        res.writeHead(answer.status, { ...headersOut, 'content-length': String(answer.body.length) }).end(answer.body);
        return;
      }
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'bad_gateway', message: 'no instance accepted the connection' } }));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const terminalOf = new AsyncLocalStorage<string>();
let wrapped: typeof globalThis.fetch | undefined;

/**
 * Runs `f` as terminal `name`: every request it makes with the global fetch (directly or in the
 * terminal's code, however deep) carries `x-terminal: name`, which the balancer rotates by.
 */
export function asTerminal<T>(name: string, f: () => Promise<T>): Promise<T> {
  if (!wrapped) {
    const real = globalThis.fetch;
    wrapped = (input, init) => {
      const name = terminalOf.getStore();
      if (name === undefined) return real(input, init);
      const headers = new Headers(init?.headers);
      headers.set(TERMINAL_HEADER, name);
      return real(input, { ...init, headers });
    };
    globalThis.fetch = wrapped;
  }
  return terminalOf.run(name, f);
}
