/**
 * A card backed by an image file is as durable as a real card's memory: every committed transaction is
 * on disk when the transaction's commit returns (JCRE 3.0.5 §7.6: a committed transaction survives a
 * loss of power), an interrupted one is rolled back at the next power-up, and the file holds no key in
 * clear. Checked in process, then with real processes killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { swOf, SW } from '../../protocol/apdu/index.ts';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { createLogger, ensureDemoData, startServers, type RunningServers } from '../../servers/index.ts';
import { createCard, loadCard, loadCardImage, LOYALTY_APPLET_AID, STORE_KEY, type Card } from '../../simulator/index.ts';
import { newDemoCard } from '../../scenarios/env/demo-card.ts';
import { demoServices } from '../../scenarios/env/demo-services.ts';

const BIN = resolve(import.meta.dirname, '../../bin/cardlab.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cardlab-durability-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sequenceCounter = (card: Card) => toHex(card.store.get(STORE_KEY.sequenceCounter(0x30))!);
const onDisk = (path: string) => loadCardImage(path).store.image();
/** INITIALIZE UPDATE, KVN 00, host challenge 0102…08 (GPCS Amendment D §7.1.1). */
const INITIALIZE_UPDATE = fromHex('8050000008010203040506070800');

/** The file's bytes and every base64 run in it decoded: where a secret would show if it were in clear. */
function holds(path: string, secret: Uint8Array): boolean {
  const text = readFileSync(path, 'utf8');
  const views = [Buffer.from(text), ...[...text.matchAll(/[A-Za-z0-9+/=]{16,}/g)].map((m) => Buffer.from(m[0], 'base64'))];
  const hex = toHex(secret);
  return views.some((b) => b.includes(Buffer.from(secret)) || b.includes(hex) || b.includes(hex.toLowerCase()));
}

describe('a card backed by its image file (in process)', () => {
  it('writes each committed transaction through: the file equals the memory after every commit', () => {
    const path = join(dir, 'card.json');
    createCard({ seed: 7 }).saveImage(path);
    const card = loadCard(path, { seed: 7, writeThrough: true});
    card.powerOn();
    for (const expected of ['000001', '000002', '000003']) {
      expect(swOf(card.transmit(buildSelect()))).toBe(SW.SUCCESS);
      expect(swOf(card.transmit(INITIALIZE_UPDATE))).toBe(SW.SUCCESS); // increments and persists the counter (AMD-D §6.2.2.1)
      expect(sequenceCounter(card)).toBe(expected);
      expect(onDisk(path)).toEqual(card.store.image());
    }
    // Written as a private file.
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('after a power loss in the middle of a write, the file holds the torn memory and the next load rolls it back', () => {
    const path = join(dir, 'card.json');
    createCard({ seed: 7 }).saveImage(path);
    const card = loadCard(path, { seed: 7, writeThrough: true});
    card.powerOn();
    card.transmit(buildSelect());
    card.transmit(INITIALIZE_UPDATE);
    expect(sequenceCounter(card)).toBe('000001');
    card.onPersistentWrite((w) => (w.kind === 'data' ? 'tear' : undefined));
    card.transmit(buildSelect());
    expect(() => card.transmit(INITIALIZE_UPDATE)).toThrow(/power lost/);

    const { store } = loadCardImage(path);
    expect(store.powered).toBe(false); // the journal is on disk
    const again = loadCard(path, { seed: 7, writeThrough: true});
    again.powerOn();
    expect(again.lastRecovery?.rolledBack).toBe(true);
    expect(sequenceCounter(again)).toBe('000001');
    // The recovery itself is written through: the file is clean again.
    expect(loadCardImage(path).store.powered).toBe(true);
    expect(onDisk(path)).toEqual(again.store.image());
  });
});

/** Spawns the CLI; collects its stdout lines; `waitFor` resolves with the first line matching a pattern. */
function cardlab(args: string[]): { child: ChildProcess; lines: string[]; waitFor(pattern: RegExp, ms: number): Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe']});
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; done: (l: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.filter((x) => x.pattern.test(l))) w.done(l);
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    lines,
    exit,
    waitFor: (pattern, ms) =>
      new Promise((done, fail) => {
        const seen = lines.find((l) => pattern.test(l));
        if (seen) return done(seen);
        const timer = setTimeout(() => fail(new Error(`no line ${pattern} in ${ms} ms; stdout ${JSON.stringify(lines)}; stderr ${stderr}`)), ms);
        waiters.push({ pattern, done: (l) => (clearTimeout(timer), done(l)) });
      }),
  };
}

function killed(child: ChildProcess, exit: Promise<number | null>): Promise<NodeJS.Signals | null> {
  child.kill('SIGKILL');
  return exit.then(() => child.signalCode);
}

describe('a card process killed with SIGKILL', () => {
  it('card shell: a counter the card committed is in the image, though the process never reached its end', async () => {
    const path = join(dir, 'card.json');
    createCard({ seed: 3 }).saveImage(path);
    const shell = cardlab(['card', 'shell', '--card', path]);
    shell.child.stdin!.write(`${toHex(INITIALIZE_UPDATE)}\n`);
    await shell.waitFor(/9000$/, 30_000);
    expect(await killed(shell.child, shell.exit)).toBe('SIGKILL');
    const card = loadCard(path);
    card.powerOn();
    expect(sequenceCounter(card)).toBe('000001');
  }, 60_000);

  it('terminal provision killed once the issuer has the install confirmed: the applet is on the card, and a rerun completes', async () => {
    const dataDir = join(dir, 'data');
    const servers: RunningServers = await startServers({ dataDir, logger: createLogger({ name: 'test', level: 'silent' }), outbox: { baseDelayMs: 50, pollMs: 50 } });
    try {
      const demo = await ensureDemoData(servers, dataDir, { card: (dap) => newDemoCard(dap, 'durability-demo'), services: demoServices() });
      const path = demo.cardPath;
      // demo-card.json: private, and neither the card's private key nor its SCP03 keys in clear.
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const before = loadCard(path);
      const privateKey = before.store.get(STORE_KEY.CARD_KEY)!.subarray(1, 33);
      const keyset = before.keyset()!; // the per-card keys the issuer personalised
      expect(holds(path, privateKey)).toBe(false);
      for (const k of [keyset.enc, keyset.mac, keyset.dek]) expect(holds(path, k)).toBe(false);

      // Hold the terminal at S15: the provider is not told until the outbox runs again.
      await servers.issuer.outbox.stop();
      const args = ['terminal', 'provision', '--reader', 'sim', '--card', path, '--issuer', servers.issuerUrl, '--provider', servers.providerUrl, '--service', 'loyalty'];
      const first = cardlab(args);
      const deadline = Date.now() + 60_000;
      while ((await servers.issuer.store.listOrders({ state: 'confirmed' })).length === 0) {
        if (Date.now() > deadline || first.child.exitCode !== null) throw new Error(`no confirmed order; terminal said ${JSON.stringify(first.lines)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await killed(first.child, first.exit)).toBe('SIGKILL');
      expect(first.lines.some((l) => /^S16/.test(l))).toBe(false);

      const after = loadCard(path);
      after.powerOn();
      expect(swOf(after.transmit(buildSelect(LOYALTY_APPLET_AID)))).toBe(SW.SUCCESS); // the instance is installed and selectable

      servers.issuer.outbox.start();
      const second = cardlab(args);
      expect(await second.exit).toBe(0);
      expect(second.lines.at(-1)).toBe('provisioning completed');
      const done = loadCard(path);
      expect(toHex(done.store.get(STORE_KEY.appData(LOYALTY_APPLET_AID, 'balance'))!)).toBe('00000064');
    } finally {
      await servers.close();
    }
  }, 120_000);
});
