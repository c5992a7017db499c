/**
 * The server side of `npm run bench:flows`, in a process of its own so that its CPU time is the
 * servers' alone (process.cpuUsage, reported over IPC). `cardlab [DATABASE]`: the issuer and the provider as
 * `cardlab serve` runs them (file databases, or the PostgreSQL database named; outbox worker, info logs to
 * stdout). `issuer DATABASE DATA-DIR`: one more issuer instance (`cardlab serve --issuer-only`) on the data
 * directory and database of a `cardlab DATABASE` child. `bare`: two plain express servers answering each
 * exchange with the canned JSON the parent recorded from a real flow.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';
import { toHex } from '../../protocol/bytes.ts';
import { createLogger, listen, startIssuerInstance, startServers } from '../../servers/index.ts';

export interface Canned {
  status: number;
  body: unknown;
}

export type ToChild = { type: 'cpu' } | { type: 'canned'; exchanges: Canned[] } | { type: 'profile'; action: 'start' | 'stop'; file?: string } | { type: 'exit' };
export type FromChild =
  | { type: 'ready'; issuerUrl: string; providerUrl: string; adminToken?: string; providerId?: string; dapPublicKey?: string; dataDir?: string }
  | { type: 'cpu'; user: number; system: number; requests: number; byRoute: Record<string, { count: number; cpuMs: number }> }
  | { type: 'ok' };

const send = (m: FromChild) => process.send!(m);
let requests = 0;
/**
 * CPU from each request's arrival to its response's end, by method and path (ids blanked), with
 * BENCH_ROUTES=1: exact with one terminal, blurred by overlap with more.
 */
const byRoute: Record<string, { count: number; cpuMs: number }> = {};
const byRouteWanted = process.env.BENCH_ROUTES === '1';
const count = (server: Server) =>
  server.on('request', (req, res) => {
    requests++;
    // getrusage twice per request is itself measurable: only when asked for.
    if (!byRouteWanted) return;
    const start = process.cpuUsage();
    res.on('finish', () => {
      const used = process.cpuUsage(start);
      const route = `${req.method} ${(req.url ?? '').split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[0-9A-F]{16,}/g, ':id')}`;
      const r = (byRoute[route] ??= { count: 0, cpuMs: 0 });
      r.count++;
      r.cpuMs += (used.user + used.system) / 1000;
    });
  });

const logger = () => createLogger({ name: 'cardlab', level: process.env.BENCH_LOG_LEVEL ?? 'info' });

async function startCardlab(database: string | undefined): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cardlab-bench-'));
  const servers = await startServers({ dataDir, logger: logger(), ...(database ? { database } : {}) });
  count(servers.issuer.listening.server);
  count(servers.provider.listening.server);
  send({
    type: 'ready',
    issuerUrl: servers.issuerUrl,
    providerUrl: servers.providerUrl,
    adminToken: servers.secrets.adminToken,
    providerId: servers.secrets.providerId,
    dapPublicKey: toHex(servers.issuer.deps.keys.dap.publicKey),
    dataDir,
  });
  return async () => {
    await servers.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

async function startIssuer(database: string, dataDir: string): Promise<() => Promise<void>> {
  const issuer = await startIssuerInstance({ dataDir, database, logger: logger() });
  count(issuer.issuer.listening.server);
  send({ type: 'ready', issuerUrl: issuer.issuerUrl, providerUrl: '' });
  return () => issuer.close();
}

async function startBare(): Promise<() => Promise<void>> {
  let canned: Canned[] = [];
  process.on('message', (m: ToChild) => {
    if (m.type === 'canned') {
      canned = m.exchanges;
      send({ type: 'ok' });
    }
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use((req, res) => {
    const c = canned[Number(req.headers['x-bench-exchange'])];
    if (!c) return void res.status(404).json({ error: { code: 'not_found', message: 'no such exchange' } });
    res.status(c.status).json(c.body);
  });
  const a = await listen(app);
  const b = await listen(app);
  count(a.server);
  count(b.server);
  send({ type: 'ready', issuerUrl: a.url, providerUrl: b.url });
  return async () => {
    await Promise.all([a.close(), b.close()]);
  };
}

let profiler: Session | undefined;
const [mode, database, dataDir] = process.argv.slice(2);
const stop = await (mode === 'bare' ? startBare() : mode === 'issuer' ? startIssuer(database!, dataDir!) : startCardlab(database));
process.on('message', async (m: ToChild) => {
  if (m.type === 'cpu') {
    const u = process.cpuUsage();
    send({ type: 'cpu', user: u.user, system: u.system, requests, byRoute: structuredClone(byRoute) });
  } else if (m.type === 'profile') {
    // A CPU profile of the flows only (not of startup and card registration), for --cpu-prof tools.
    if (m.action === 'start') {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
      await profiler.post('Profiler.start');
    } else if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      mkdirSync(dirname(m.file!), { recursive: true });
      writeFileSync(m.file!, JSON.stringify(profile));
      profiler.disconnect();
    }
    send({ type: 'ok' });
  } else if (m.type === 'exit') {
    await stop();
    process.exit(0);
  }
});
