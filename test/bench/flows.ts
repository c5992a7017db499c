/**
 * `npm run bench:flows`: whole provisioning flows (S1–S16) against the issuer and provider, beside a
 * bare express server answering the same exchanges with canned JSON. Figures only, never asserted.
 *
 * The servers run in a child process (flow-servers.ts) so their CPU time is theirs alone; the
 * terminals run here, each with its own simulated card (registered through the admin API) in a sim
 * reader, driven by terminal/provision.ts. For each concurrency: flows/s (wall), p50/p99 flow
 * latency, and server CPU ms per flow (process.cpuUsage of the child). The bare server gets the
 * recorded HTTP exchanges of one real flow (same count, same bodies) and the provider notification,
 * replayed in order by as many concurrent clients; its terminals do no card work.
 *
 * Then the same rounds on PostgreSQL (a private cluster of the bench's own, test/support/private-postgres.ts):
 * one instance (issuer and provider in one child, as `cardlab serve --database`), and three issuer instances
 * (that child plus two `--issuer-only` children on its data directory and database) behind the round-robin
 * balancer of test/support/round-robin-proxy.ts, in this process. Server CPU is the sum of the children's;
 * PostgreSQL's own CPU is not in it. BENCH_POSTGRES=0 leaves these rows out; they are left out, with a
 * note, when PostgreSQL is not installed.
 *
 * BENCH_PROFILE=FILE writes a CPU profile of the cardlab servers during the flows (not startup or
 * card registration) to FILE (.cpuprofile: Chrome DevTools, speedscope). BENCH_LOG_LEVEL (default
 * info) sets the servers' log level; BENCH_SCALE (default 1) multiplies the number of flows;
 * BENCH_ROUNDS=8:96,64:192 (terminals:flows) replaces the default rounds; BENCH_ROUTES=1 adds the
 * server CPU by route for the first round (its two getrusage calls per request cost some CPU).
 */
import { fork, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildCap } from '../../protocol/cap/index.ts';
import { buildSelect, buildGetData } from '../../protocol/gp/commands/index.ts';
import { parseSingleTlv } from '../../protocol/tlv/index.ts';
import { createSimReader } from '../../reader-bridge/index.ts';
import { createCard, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, type Card } from '../../simulator/index.ts';
import { provision } from '../../terminal/index.ts';
import { findPostgresBin, startPrivatePostgres } from '../support/private-postgres.ts';
import { startRoundRobinProxy } from '../support/round-robin-proxy.ts';
import type { Canned, FromChild, ToChild } from './flow-servers.ts';

const SERVICE_ID = 'loyalty';
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
/** `BENCH_ROUNDS=8:96,64:192` (terminals:flows) replaces the default rounds. */
const ROUNDS: Array<{ concurrency: number; flows: number }> = (
  process.env.BENCH_ROUNDS?.split(',').map((r) => {
    const [concurrency, flows] = r.split(':').map(Number);
    return { concurrency: concurrency!, flows: flows! };
  }) ?? [
    { concurrency: 1, flows: 16 },
    { concurrency: 8, flows: 48 },
    { concurrency: 32, flows: 96 },
    { concurrency: 64, flows: 192 },
  ]
).map((r) => ({ concurrency: r.concurrency, flows: Math.max(r.concurrency, Math.round(r.flows * SCALE)) }));

interface Child {
  process: ChildProcess;
  ready: Extract<FromChild, { type: 'ready' }>;
  request(m: ToChild): Promise<FromChild>;
}

async function startChild(mode: 'cardlab' | 'bare' | 'issuer', args: string[] = []): Promise<Child> {
  const execArgv = ['--import', 'tsx'];
  const child = fork(fileURLToPath(new URL('./flow-servers.ts', import.meta.url)), [mode, ...args], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await new Promise<Extract<FromChild, { type: 'ready' }>>((resolve, reject) => {
    child.once('message', (m: FromChild) => (m.type === 'ready' ? resolve(m) : reject(new Error(`child said ${m.type}`))));
    child.once('exit', (code) => reject(new Error(`${mode} servers exited with ${code}`)));
  });
  return {
    process: child,
    ready,
    request: (m) =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send(m);
      }),
  };
}

async function stopChild(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.send({ type: 'exit' } satisfies ToChild);
  await exited;
}

/** CPU and requests of the server children, summed. */
async function cpuOf(children: Child[]): Promise<{ ms: number; requests: number; byRoute: Record<string, { count: number; cpuMs: number }> }> {
  const total = { ms: 0, requests: 0, byRoute: {} as Record<string, { count: number; cpuMs: number }> };
  for (const child of children) {
    const m = (await child.request({ type: 'cpu' })) as Extract<FromChild, { type: 'cpu' }>;
    total.ms += (m.user + m.system) / 1000;
    total.requests += m.requests;
    for (const [route, r] of Object.entries(m.byRoute)) {
      const t = (total.byRoute[route] ??= { count: 0, cpuMs: 0 });
      t.count += r.count;
      t.cpuMs += r.cpuMs;
    }
  }
  return total;
}

async function call(base: string, path: string, o: { method?: string; body?: unknown; token?: string }): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const r = await fetch(`${base}${path}`, { method: o.method ?? 'POST', headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const body = await r.json();
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

/** The application and service every flow installs. */
async function registerService(s: Child['ready']): Promise<void> {
  const cap = buildCap({ packageAid: LOYALTY_PACKAGE_AID, appletAids: [LOYALTY_APPLET_AID], codeSize: 1024 });
  await call(s.issuerUrl, '/admin/applications', { token: s.adminToken!, body: { providerId: s.providerId, name: 'Loyalty', cap: Buffer.from(cap).toString('base64') } });
  await call(s.providerUrl, '/admin/services', {
    token: s.adminToken!,
    body: {
      id: SERVICE_ID,
      name: 'Loyalty',
      packageAid: toHex(LOYALTY_PACKAGE_AID),
      appletAid: toHex(LOYALTY_APPLET_AID),
      startCommands: [toHex(buildSelect(LOYALTY_APPLET_AID)), '80520000040000006406'],
    },
  });
}

/** A personalised card of its own, registered with the issuer (S0), its certificate installed. */
async function newCard(s: Child['ready'], seed: number): Promise<Card> {
  const card = createCard({ profile: { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: s.dapPublicKey! } } }, seed });
  card.powerOn();
  const value = (tag: number) => parseSingleTlv(card.transmit(buildGetData(tag)).slice(0, -2)).value;
  const k = card.profile.keys[0]!;
  const { cardholderId } = await call(s.issuerUrl, '/admin/cardholders', { token: s.adminToken!, body: { name: `Holder ${seed}`, address: `${seed} Bench Street` } });
  const registered = await call(s.issuerUrl, '/admin/cards', {
    token: s.adminToken!,
    body: {
      cardholderId,
      iin: toHex(value(0x42)),
      cin: toHex(value(0x45)),
      icSerial: toHex(value(0x9f7f).subarray(12, 16)),
      keys: { kvn: k.kvn, enc: toHex(k.enc), mac: toHex(k.mac), dek: toHex(k.dek) },
      cardPublicKey: toHex(card.signingKey().publicKey),
    },
  });
  card.installCertificate(fromHex(registered.certificate));
  card.powerOff();
  return card;
}

async function inBatches<T>(n: number, width: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width) out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => f(i + j)))));
  return out;
}

interface Round {
  concurrency: number;
  flows: number;
  flowsPerSecond: number;
  p50: number;
  p99: number;
  cpuPerFlow: number;
  /** This process's CPU (terminals, cards, fetch) per flow: when it nears 1000 / flows/s, the terminals are the limit. */
  terminalCpuPerFlow: number;
  requestsPerFlow: number;
  /** Server CPU per flow by route (request arrival to response end). */
  byRoute: Array<{ route: string; perFlow: number; cpuMs: number }>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Runs `flows` flows with `concurrency` workers; `flow(i)` is one whole flow. */
async function round(children: Child[], concurrency: number, flows: number, flow: (i: number) => Promise<void>): Promise<Round> {
  const latencies: number[] = [];
  let next = 0;
  const before = await cpuOf(children);
  const ownBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < flows; i = next++) {
        const t = performance.now();
        await flow(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - start;
  const own = process.cpuUsage(ownBefore);
  const after = await cpuOf(children);
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    flows,
    flowsPerSecond: (flows * 1000) / wall,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerFlow: (after.ms - before.ms) / flows,
    terminalCpuPerFlow: (own.user + own.system) / 1000 / flows,
    requestsPerFlow: (after.requests - before.requests) / flows,
    byRoute: Object.entries(after.byRoute)
      .map(([route, r]) => ({ route, perFlow: (r.count - (before.byRoute[route]?.count ?? 0)) / flows, cpuMs: (r.cpuMs - (before.byRoute[route]?.cpuMs ?? 0)) / flows }))
      .filter((r) => r.perFlow > 0)
      .sort((a, b) => b.cpuMs - a.cpuMs),
  };
}

/** Records the HTTP exchanges of one flow (the terminal's calls) by wrapping the global fetch. */
async function recordFlow(s: Child['ready'], card: Card): Promise<Array<{ server: 'issuer' | 'provider'; method: string; path: string; body: string | undefined; canned: Canned }>> {
  const recorded: Array<{ server: 'issuer' | 'provider'; method: string; path: string; body: string | undefined; canned: Canned }> = [];
  const real = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const response = await real(input, init);
    const text = await response.clone().text();
    recorded.push({
      server: url.origin === new URL(s.issuerUrl).origin ? 'issuer' : 'provider',
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      body: typeof init?.body === 'string' ? init.body : undefined,
      canned: { status: response.status, body: text ? JSON.parse(text) : null },
    });
    return response;
  };
  try {
    const result = await provision({ reader: createSimReader(card), issuerUrl: s.issuerUrl, providerUrl: s.providerUrl, serviceId: SERVICE_ID });
    if (result.outcome !== 'completed') throw new Error(`recording flow failed: ${JSON.stringify(result.error)}`);
  } finally {
    globalThis.fetch = real;
  }
  return recorded;
}

/** One flow of a card with the terminal's own code, which must complete. */
async function flowOf(card: Card, issuerUrl: string, providerUrl: string): Promise<void> {
  const result = await provision({ reader: createSimReader(card), issuerUrl, providerUrl, serviceId: SERVICE_ID });
  if (result.outcome !== 'completed') throw new Error(`flow failed: ${JSON.stringify(result.error)}`);
}

/**
 * The rounds on PostgreSQL with `instances` issuer instances: the first child serves the issuer and the
 * provider on its data directory and `database`; the others are issuer instances on both; with more than
 * one, the terminals talk to the issuer through the round-robin balancer (this process).
 */
async function postgresRounds(database: string, instances: number): Promise<Round[]> {
  const first = await startChild('cardlab', [database]);
  const others: Child[] = [];
  let proxy: Awaited<ReturnType<typeof startRoundRobinProxy>> | undefined;
  try {
    for (let i = 1; i < instances; i++) others.push(await startChild('issuer', [database, first.ready.dataDir!]));
    const children = [first, ...others];
    const s = first.ready;
    await registerService(s);
    const cards = await inBatches(ROUNDS.reduce((n, r) => n + r.flows, 0) + 1, 8, (i) => newCard(s, 1000 + i));
    proxy = instances > 1 ? await startRoundRobinProxy(children.map((c) => c.ready.issuerUrl)) : undefined;
    const issuerUrl = proxy?.url ?? s.issuerUrl;
    await flowOf(cards[0]!, issuerUrl, s.providerUrl); // warm-up
    const rounds: Round[] = [];
    let used = 1;
    for (const r of ROUNDS) {
      const base = used;
      used += r.flows;
      rounds.push(await round(children, r.concurrency, r.flows, (i) => flowOf(cards[base + i]!, issuerUrl, s.providerUrl)));
    }
    return rounds;
  } finally {
    await proxy?.close();
    for (const c of others) await stopChild(c);
    await stopChild(first);
  }
}

/** One instance and three on PostgreSQL, each on a fresh database of a private cluster; or why not. */
async function measurePostgres(): Promise<{ one: Round[]; three: Round[] } | string> {
  if (process.env.BENCH_POSTGRES === '0') return 'PostgreSQL rows left out (BENCH_POSTGRES=0)';
  if (!findPostgresBin()) return 'PostgreSQL rows left out: PostgreSQL is not installed (apt-get install postgresql)';
  const cluster = await startPrivatePostgres();
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE bench_one');
    await admin.query('CREATE DATABASE bench_three');
    await admin.end();
    const one = await postgresRounds(cluster.url.replace(/\/postgres$/, '/bench_one'), 1);
    const three = await postgresRounds(cluster.url.replace(/\/postgres$/, '/bench_three'), 3);
    return { one, three };
  } finally {
    cluster.stop();
  }
}

const pad = (v: string, n: number) => v.padStart(n);
const f1 = (v: number) => v.toFixed(1);

async function main(): Promise<void> {
  const total = ROUNDS.reduce((n, r) => n + r.flows, 0) + 1;
  console.log(`cardlab bench:flows — node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
  console.log(`servers' log level: ${process.env.BENCH_LOG_LEVEL ?? 'info'}; ${total} flows, each with a card of its own`);

  const cardlab = await startChild('cardlab');
  const s = cardlab.ready;
  await registerService(s);
  const cards = await inBatches(total, 8, (i) => newCard(s, 1000 + i));

  // One recorded flow: the exchanges the bare server will answer, and a warm-up.
  const exchanges = await recordFlow(s, cards[0]!);
  const notification = JSON.stringify({
    notificationId: 'n', event: 'application.installed', orderId: 'o', providerId: s.providerId, serviceId: SERVICE_ID, nonce: '00'.repeat(16),
    cardId: '00'.repeat(8), curve: 'P-256', cardPublicKey: '04'.repeat(65), packageAid: toHex(LOYALTY_PACKAGE_AID), instanceAid: toHex(LOYALTY_APPLET_AID), confirmationCounter: 1, installedAt: new Date().toISOString(),
  });

  const ours: Round[] = [];
  if (process.env.BENCH_PROFILE) await cardlab.request({ type: 'profile', action: 'start' });
  let used = 1;
  for (const r of ROUNDS) {
    const base = used;
    used += r.flows;
    ours.push(
      await round([cardlab], r.concurrency, r.flows, async (i) => {
        const result = await provision({ reader: createSimReader(cards[base + i]!), issuerUrl: s.issuerUrl, providerUrl: s.providerUrl, serviceId: SERVICE_ID });
        if (result.outcome !== 'completed') throw new Error(`flow failed: ${JSON.stringify(result.error)}`);
      }),
    );
  }
  if (process.env.BENCH_PROFILE) await cardlab.request({ type: 'profile', action: 'stop', file: process.env.BENCH_PROFILE });
  await stopChild(cardlab);

  const bare = await startChild('bare');
  const b = bare.ready;
  const script = [...exchanges, { server: 'provider' as const, method: 'POST', path: '/notifications', body: notification, canned: { status: 200, body: { notificationId: 'n', recorded: true, duplicate: false } } }];
  await bare.request({ type: 'canned', exchanges: script.map((e) => e.canned) });
  const replay = async () => {
    for (let i = 0; i < script.length; i++) {
      const e = script[i]!;
      const headers: Record<string, string> = { 'x-bench-exchange': String(i), ...(e.body !== undefined ? { 'content-type': 'application/json' } : {}) };
      const r = await fetch(`${e.server === 'issuer' ? b.issuerUrl : b.providerUrl}${e.path}`, { method: e.method, headers, body: e.body });
      await r.text();
    }
  };
  await replay();
  const bares: Round[] = [];
  for (const r of ROUNDS) bares.push(await round([bare], r.concurrency, r.flows, replay));
  await stopChild(bare);
  const postgres = await measurePostgres();

  console.log(`exchanges per flow: ${exchanges.length} from the terminal + 1 issuer → provider notification; bare server: the same ${script.length}, canned`);
  console.log('');
  console.log('server CPU: the child process (both servers) per flow; terminal CPU: this process (terminals, simulated cards, fetch) per flow');
  console.log('terminals | flows | ours flows/s  p50 ms  p99 ms  server CPU  terminal CPU  req/flow | bare flows/s  p50 ms  p99 ms  server CPU | ours/bare flows/s  server CPU');
  for (let i = 0; i < ROUNDS.length; i++) {
    const o = ours[i]!;
    const x = bares[i]!;
    console.log(
      `${pad(String(o.concurrency), 9)} | ${pad(String(o.flows), 5)} | ${pad(f1(o.flowsPerSecond), 12)} ${pad(f1(o.p50), 7)} ${pad(f1(o.p99), 7)} ${pad(f1(o.cpuPerFlow), 11)} ${pad(f1(o.terminalCpuPerFlow), 13)} ${pad(f1(o.requestsPerFlow), 9)} | ` +
        `${pad(f1(x.flowsPerSecond), 12)} ${pad(f1(x.p50), 7)} ${pad(f1(x.p99), 7)} ${pad(f1(x.cpuPerFlow), 11)} | ${pad((o.flowsPerSecond / x.flowsPerSecond).toFixed(2), 17)} ${pad((o.cpuPerFlow / x.cpuPerFlow).toFixed(1), 10)}×`,
    );
  }
  console.log('');
  if (typeof postgres === 'string') console.log(postgres);
  else {
    console.log('PostgreSQL (a private cluster, fsync off; its CPU is not in server CPU): one instance (issuer + provider in one process), three issuer instances (+ the provider in the first) behind a round-robin balancer');
    console.log('terminals | flows | SQLite flows/s | PG×1 flows/s  p50 ms  p99 ms  server CPU | PG×3 flows/s  p50 ms  p99 ms  server CPU | PG×3/PG×1 flows/s  PG×1/SQLite');
    for (let i = 0; i < ROUNDS.length; i++) {
      const q = ours[i]!;
      const a = postgres.one[i]!;
      const c = postgres.three[i]!;
      console.log(
        `${pad(String(a.concurrency), 9)} | ${pad(String(a.flows), 5)} | ${pad(f1(q.flowsPerSecond), 14)} | ${pad(f1(a.flowsPerSecond), 12)} ${pad(f1(a.p50), 7)} ${pad(f1(a.p99), 7)} ${pad(f1(a.cpuPerFlow), 11)} | ` +
          `${pad(f1(c.flowsPerSecond), 12)} ${pad(f1(c.p50), 7)} ${pad(f1(c.p99), 7)} ${pad(f1(c.cpuPerFlow), 11)} | ${pad((c.flowsPerSecond / a.flowsPerSecond).toFixed(2), 17)} ${pad((a.flowsPerSecond / q.flowsPerSecond).toFixed(2), 12)}`,
      );
    }
  }
  const one = ours[0]!;
  if (one.byRoute.length === 0) return;
  console.log('');
  console.log(`server CPU per flow by route, ${one.concurrency} terminal(s) (arrival to response end; the rest is the outbox and idle work):`);
  for (const r of one.byRoute) console.log(`  ${r.route.padEnd(44)} ${r.perFlow.toFixed(1).padStart(4)}×  ${r.cpuMs.toFixed(2).padStart(6)} ms`);
  console.log(`  ${'total'.padEnd(44)}        ${one.byRoute.reduce((t, r) => t + r.cpuMs, 0).toFixed(2).padStart(6)} ms of ${one.cpuPerFlow.toFixed(2)} ms`);
}

await main();
