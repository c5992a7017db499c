/**
 * The CI lane through the real PC/SC stack, no card needed: pcscd (in a network namespace with
 * `quickack 1` loopback routes when `ip netns` is permitted, else on plain loopback) with vsmartcard's
 * vpcd driver, a simulated card served by `cardlab card serve --vpcd`, and real PC/SC clients
 * (opensc-tool, the `smartcard` package) talking to it. When a package or the daemon is missing the
 * suite is skipped with what to install — and fails under CI or CARDLAB_PCSC=1. One file, so these tests never run in
 * parallel with each other (vpcd's port 35963 is fixed).
 */
import { pcscLane } from '../support/system-components.ts';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCard, loadCard } from '../../simulator/index.ts';
import { toHex, fromHex } from '../../protocol/bytes.ts';
import {
  createPcscReader,
  createSimReader,
  diffTraces,
  toAnnotatedText,
  withTrace,
  VPCD_READER_NAME,
  type PcscReader,
  type TraceEntry,
} from '../../reader-bridge/index.ts';
import { runHostSession } from './host-session.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'reader-bridge/vpcd/quickack-namespace.sh');
const VPCD_PORT = 35963;
const DEBIAN = 'apt-get install -y pcscd vsmartcard-vpcd pcsc-tools opensc (what .ci/run installs)';

interface Stack {
  dir: string;
  netns: string;
  pcscdPid: number;
  socket: string;
  serve?: ChildProcess;
  serveOut: string;
}
let stack: Stack | undefined;
let pcsc: PcscReader | undefined;
const simCard = createCard({ seed: 0 });

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 15_000 });
}

function startStack(): Stack {
  for (const [tool, what] of [['pcscd', 'pcscd'], ['opensc-tool', 'opensc'], ['unshare', 'util-linux']] as const) {
    if (sh('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed: ${DEBIAN}; needs ${what}`);
  }
  if (!existsSync('/etc/reader.conf.d/vpcd')) throw new Error(`vpcd is not installed (/etc/reader.conf.d/vpcd missing): ${DEBIAN}`);
  const dir = mkdtempSync(join(tmpdir(), 'cardlab-pcsc-'));
  // CARDLAB_PCSC_PLAIN=1 takes the fallback path on purpose (to check it where namespaces work).
  const netnsAllowed = process.env.CARDLAB_PCSC_PLAIN !== '1' && sh(SCRIPT, ['probe']).status === 0;
  const name = `cardlab-${process.pid}`;
  // A watchdog cleans up (pcscd, namespace, this folder) if this test process is killed.
  const env = { ...process.env, CARDLAB_OWNER_PID: String(process.pid), CARDLAB_OWNED_DIR: dir };
  const up = netnsAllowed ? sh(SCRIPT, ['up', join(dir, 'run'), name], env) : sh(SCRIPT, ['up-plain', join(dir, 'run')], env);
  console.log(`pcsc lane: ${netnsAllowed ? `pcscd in network namespace ${name} with quickack 1 loopback routes` : `${process.env.CARDLAB_PCSC_PLAIN === '1' ? 'CARDLAB_PCSC_PLAIN=1' : 'ip netns not permitted here'}: pcscd on plain loopback (expect ~20 APDU/s)`}`);
  if (up.status !== 0) throw new Error(`pcscd could not start: ${up.stderr.trim() || up.stdout.trim()}`);
  const vars = Object.fromEntries(up.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { dir, netns: vars.NETNS ?? '', pcscdPid: Number(vars.PCSCD_PID), socket: vars.PCSCLITE_CSOCK_NAME!, serveOut: '' };
}

/** `cardlab card serve` in the namespace (`ip netns exec` execs, so the child's PID is node's own). */
async function startServe(s: Stack, image: string): Promise<void> {
  const node = [process.execPath, join(ROOT, 'bin/cardlab.js'), 'card', 'serve', '--vpcd', `127.0.0.1:${VPCD_PORT}`, '--card', image, '--seed', '0'];
  const argv = s.netns ? ['ip', 'netns', 'exec', s.netns, ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  s.serve = child;
  child.stdout!.on('data', (b: Buffer) => (s.serveOut += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (s.serveOut += b.toString()));
  const deadline = Date.now() + 15_000;
  while (!/connected to vpcd/.test(s.serveOut)) {
    if (child.exitCode !== null) throw new Error(`cardlab card serve exited (${child.exitCode}): ${s.serveOut}`);
    if (Date.now() > deadline) throw new Error(`cardlab card serve did not reach vpcd within 15 s: ${s.serveOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopStack(s: Stack): void {
  const pids = [s.serve?.exitCode === null ? s.serve.pid : undefined, s.pcscdPid].filter((p): p is number => typeof p === 'number' && p > 0);
  sh(SCRIPT, ['down', ...(s.netns ? [s.netns] : []), ...pids.map(String)]);
  rmSync(s.dir, { recursive: true, force: true });
}

/** Why the stack is not there; every test then fails with it (a failed beforeAll would only mark them skipped). */
let setupError: Error | undefined;
function ready(): void {
  if (setupError) throw setupError;
}

/** Skipped with the reason outside CI when pcscd, vpcd or the smartcard build is missing (test/support/system-components.ts). */
const lane = await pcscLane();

beforeAll(async () => {
  if (lane.skip) return;
  try {
    await setUp();
  } catch (err) {
    setupError = err as Error;
  }
}, 30_000);

async function setUp(): Promise<void> {
  stack = startStack();
  // pcsc-lite clients (this process's `smartcard`, opensc-tool) reach the private daemon by this socket.
  process.env.PCSCLITE_CSOCK_NAME = stack.socket;
  const image = join(stack.dir, 'card.json');
  simCard.saveImage(image);
  copyFileSync(image, join(stack.dir, 'sim-card.json'));
  await startServe(stack, image);
  pcsc = await createPcscReader({ reader: VPCD_READER_NAME });
  const deadline = Date.now() + 5_000;
  while (!pcsc.isCardPresent()) {
    if (Date.now() > deadline) throw new Error(`${VPCD_READER_NAME} shows no card 5 s after card serve connected: ${stack.serveOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterAll(async () => {
  await pcsc?.close();
  if (stack) stopStack(stack);
});

describe.skipIf(lane.skip !== undefined)(`PC/SC lane: a simulated card through pcscd and vpcd${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  it('the pcsc reader on Virtual PCD 00 00 exchanges the same APDUs with identical responses as the sim reader (same seed)', async () => {
    ready();
    const viaPcsc: TraceEntry[] = [];
    const viaSim: TraceEntry[] = [];
    const start = performance.now();
    const pcscAnswers = await runHostSession(withTrace(pcsc!, viaPcsc));
    const ms = performance.now() - start;
    const simAnswers = await runHostSession(withTrace(createSimReader(loadCard(join(stack!.dir, 'sim-card.json'), { seed: 0 })), viaSim));
    const apdus = viaPcsc.filter((e) => e.dir === 'C').length;
    console.log(`pcsc lane: ${apdus} APDUs through pcscd in ${ms.toFixed(0)} ms (${((apdus * 1000) / ms).toFixed(0)} APDU/s with power-on and reset)`);
    const diff = diffTraces(viaSim, viaPcsc, { ignoreTimestamps: true, dirs: ['ATR', 'C', 'R'] });
    expect(diff?.message).toBeUndefined();
    expect(pcscAnswers).toEqual(simAnswers);
    expect(apdus).toBeGreaterThanOrEqual(17);
    // The same text for both, apart from the timestamps: the review artefact does not depend on the reader.
    expect(toAnnotatedText(viaPcsc, { timestamps: false })).toBe(toAnnotatedText(viaSim, { timestamps: false }));
  });

  it('opensc-tool --atr shows the card ATR', () => {
    ready();
    const r = sh('opensc-tool', ['--reader', '0', '--atr'], process.env);
    expect(r.status, r.stderr).toBe(0);
    const atr = toHex(simCard.profile.atr).match(/../g)!.join(':').toLowerCase();
    expect(r.stdout.trim()).toBe(atr);
  });

  it('opensc-tool -s 00A4040000 returns the ISD FCI (6F41…9000)', () => {
    ready();
    const r = sh('opensc-tool', ['--reader', '0', '-s', '00A4040000'], process.env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Received \(SW1=0x90, SW2=0x00\)/);
    const data = [...r.stdout.matchAll(/^((?:[0-9A-F]{2} )+)/gm)].map((m) => m[1]!.replace(/ /g, '')).join('');
    simCard.powerOn();
    expect(data + '9000').toBe(toHex(simCard.transmit(fromHex('00A4040000'))));
    expect(data).toMatch(/^6F41/);
  });

  it('card serve saves the card on SIGTERM (its sequence counter moved on) and the reader empties', async () => {
    ready();
    const serve = stack!.serve!;
    const exited = new Promise<number | null>((r) => serve.once('exit', (code) => r(code)));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stack!.serveOut).toMatch(/card saved to/);
    const deadline = Date.now() + 5_000;
    while (pcsc!.isCardPresent() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pcsc!.isCardPresent()).toBe(false);
    await expect(pcsc!.powerOn()).rejects.toMatchObject({ code: 'NO_CARD' });
    // The served card did one INITIALIZE UPDATE: the saved image answers the next with counter 000002.
    const saved = loadCard(join(stack!.dir, 'card.json'), { seed: 0 });
    saved.powerOn();
    const iu = toHex(saved.transmit(fromHex('8050000008000000000000000000')));
    expect(iu.slice(-10, -4)).toBe('000002');
  });
});
