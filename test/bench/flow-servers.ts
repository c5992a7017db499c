/**
 * The server side of `npm run bench:flows`, in a process of its own so that its CPU time is the
 * servers' alone (process.cpuUsage, reported over IPC). `cardlab`: the issuer and the provider as
 * `cardlab serve` runs them (file databases, outbox worker, info logs to stdout). `bare`: two plain
 * express servers answering each exchange with the canned JSON the parent recorded from a real flow.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';
import { toHex } from '../../protocol/bytes.ts';
import { createLogger, listen, startServers } from '../../servers/index.ts';

export interface Canned {
  status: number;
  body: unknown;
}

export type ToChild = { type: 'cpu' } | { type: 'canned'; exchanges: Canned[] } | { type: 'profile'; action: 'start' | 'stop'; file?: string } | { type: 'exit' };
export type FromChild =
  | { type: 'ready'; issuerUrl: string; providerUrl: string; adminToken?: string; providerId?: string; dapPublicKey?: string }
  | { type: 'cpu'; user: number; system: number; requests: number }
  | { type: 'ok' };

const send = (m: FromChild) => process.send!(m);
let requests = 0;
const count = (server: Server) => server.on('request', () => void requests++);

async function startCardlab(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cardlab-bench-'));
  const logger = createLogger({ name: 'cardlab', level: process.env.BENCH_LOG_LEVEL ?? 'info' });
  const servers = await startServers({ dataDir, logger });
  count(servers.issuer.listening.server);
  count(servers.provider.listening.server);
  send({
    type: 'ready',
    issuerUrl: servers.issuerUrl,
    providerUrl: servers.providerUrl,
    adminToken: servers.secrets.adminToken,
    providerId: servers.secrets.providerId,
    dapPublicKey: toHex(servers.issuer.deps.keys.dap.publicKey),
  });
  return async () => {
    await servers.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
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
const stop = await (process.argv[2] === 'bare' ? startBare() : startCardlab());
process.on('message', async (m: ToChild) => {
  if (m.type === 'cpu') {
    const u = process.cpuUsage();
    send({ type: 'cpu', user: u.user, system: u.system, requests });
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
