import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fromHex } from '../../protocol/bytes.ts';
import { systemRandom } from '../../protocol/crypto/index.ts';
import { createSimReader } from '../../reader-bridge/index.ts';
import { createLogger, createProviderApp, listen, SqliteProviderStore, systemClock, type Listening } from '../../servers/index.ts';
import { loadCard } from '../../simulator/index.ts';
import { provision, type HttpOptions, type ProvisionResult } from '../../terminal/index.ts';
import { openDataDir } from '../../servers/index.ts';
import { formatKillPoint, parseEvent, type IssuerEvent, type KillPoint } from './kill-point.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/cardlab.js');
const ISSUER_ENTRY = join(import.meta.dirname, 'issuer-process.ts');

/** Every child process this file started and has not seen exit: killed by `killAllChildren` (afterAll, or a failed setup). */
const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

function track(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  children.add(child);
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    }),
  );
}

/** A data directory as `cardlab serve` makes it on first start: keys, databases, secrets, the demo card image and services. */
export interface Template {
  dir: string;
  /** The card image's file name inside the data directory. */
  cardFile: string;
  serviceId: string;
}

/**
 * Runs the product's own `cardlab serve` once on `dir` (port 0, loopback) so it creates the issuer's
 * CA and DAP keys, both databases, the registered and certified demo card (its image), the loyalty
 * application in the issuer's catalogue and the provider's loyalty service; stops it with SIGTERM.
 */
export async function prepareTemplate(dir: string): Promise<Template> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--issuer-port', '0', '--provider-port', '0', '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Stops by itself if this test process is killed (cardlab serve's owner watchdog).
    env: { ...process.env, CARDLAB_OWNER_PID: String(process.pid) },
  });
  const exited = track(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, string> = {};
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`cardlab serve was not ready in 30 s: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^(issuer|provider|card|service): (.+)$/.exec(line);
      if (m) lines[m[1]!] = m[2]!;
      if (Object.keys(lines).length === 4) {
        clearTimeout(timer);
        done();
      }
    });
    void exited.then(({ code }) => fail(new Error(`cardlab serve exited with ${code} before it was ready: ${stderr}`)));
  });
  // `cardlab serve` prints its ready lines before it installs its SIGTERM handler (same tick): one
  // answered request proves the event loop turned since, so the SIGTERM below is a clean stop.
  await fetch(`${lines.issuer}/openapi.json`).then((r) => r.arrayBuffer());
  child.kill('SIGTERM');
  const { code, signal } = await exited;
  if (code !== 0) throw new Error(`cardlab serve stopped with ${signal ?? code}: ${stderr}`);
  // Each kill point copies the directory: the card image must be in it.
  const cardFile = relative(resolve(dir), resolve(lines.card!));
  if (cardFile.startsWith('..')) throw new Error(`the demo card ${lines.card} is outside ${dir}`);
  return { dir, cardFile, serviceId: lines.service! };
}

/** A fresh copy of the template: what each kill point starts from. */
export function copyDataDir(template: Template, dest: string): string {
  cpSync(template.dir, dest, { recursive: true });
  return dest;
}

/** The issuer running as its own OS process (test/crash/issuer-process.ts). */
export interface IssuerProcess {
  url: string;
  child: ChildProcess;
  /** Requests and store writes in the order the process reported them. */
  events: IssuerEvent[];
  /** The `crash <point>` line if the process reached its kill point. */
  crashLine(): string | undefined;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, and the exit code of the clean stop. */
  stop(): Promise<number | null>;
}

export async function startIssuer(dataDir: string, notifyUrl: string, crash?: KillPoint): Promise<IssuerProcess> {
  const args = ['--import', 'tsx', ISSUER_ENTRY, '--data-dir', dataDir, '--notify', notifyUrl, ...(crash ? ['--crash', formatKillPoint(crash)] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  const events: IssuerEvent[] = [];
  let crashed: string | undefined;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the issuer process was not ready in 20 s: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = parseEvent(line);
      if (e) events.push(e);
      else if (line.startsWith('crash ')) crashed = line;
      else if (line.startsWith('issuer: ')) {
        clearTimeout(timer);
        done(line.slice('issuer: '.length));
      }
    });
    void exited.then(({ code, signal }) => fail(new Error(`the issuer process exited (${signal ?? code}) before it was ready: ${stderr}`)));
  });
  return {
    url,
    child,
    events,
    crashLine: () => crashed,
    stderr: () => stderr,
    exited,
    async stop() {
      child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

/** The provider of a data directory, in this process (its own database and the shared secret from `secrets.json`). */
export interface ProviderServer {
  url: string;
  store: SqliteProviderStore;
  close(): Promise<void>;
}

export async function startProvider(dataDir: string): Promise<ProviderServer> {
  const { secrets } = openDataDir(dataDir, systemRandom());
  const store = new SqliteProviderStore(join(dataDir, 'provider', 'provider.db'));
  const app = createProviderApp({
    store,
    providerId: secrets.providerId,
    issuerSecret: fromHex(secrets.providerSecret),
    adminToken: secrets.adminToken,
    logger: createLogger({ name: 'crash-provider', level: 'silent' }),
    random: systemRandom(),
    clock: systemClock,
  });
  const listening: Listening = await listen(app, 0, '127.0.0.1');
  let closed = false;
  return {
    url: listening.url,
    store,
    async close() {
      if (closed) return;
      closed = true;
      await listening.close();
      await store.close();
    },
  };
}

/**
 * One terminal run (S1–S16, `provision()`) over a sim reader on the card image file, written through
 * at every commit of the card and saved when the run ends — as `cardlab terminal provision --reader sim --card FILE` does.
 */
export async function runTerminal(cardPath: string, o: { issuerUrl: string; providerUrl: string; serviceId: string; http: Partial<HttpOptions>; notificationTimeoutMs: number }): Promise<ProvisionResult> {
  const card = loadCard(cardPath, { writeThrough: true });
  const reader = createSimReader(card);
  try {
    return await provision({ reader, issuerUrl: o.issuerUrl, providerUrl: o.providerUrl, serviceId: o.serviceId, http: o.http, notificationTimeoutMs: o.notificationTimeoutMs });
  } finally {
    card.powerOff();
    card.saveImage(cardPath);
    await reader.close();
  }
}

/** `completed`, or where and why a run failed, in one line. */
export function outcomeOf(r: ProvisionResult): string {
  if (r.outcome === 'completed') return 'completed';
  const e = r.error!;
  return `failed at ${e.step}: ${e.code}${e.serverCode ? ` (${e.serverCode})` : ''} — ${e.message}`;
}
