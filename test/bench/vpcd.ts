/**
 * Benchmark (figures, not assertions): APDU/s through the real PC/SC stack — the `smartcard` package
 * → pcscd → vsmartcard's vpcd driver → TCP → serveCardOverVpcd — for our simulated card (GET DATA
 * 9F7F, CPLC) and for a bare responder that answers 9000 at once on the same path; their ratio says
 * how much of the time is the card and how much the path. Run both with and without the quickack
 * network namespace (reader-bridge/vpcd/quickack-namespace.sh). `npm run bench:vpcd`; needs root and
 * the Debian packages pcscd and vsmartcard-vpcd.
 *
 * The bench starts pcscd per mode, a card server process in its network namespace (`--serve card` or
 * `--serve bare`), and measures as the PC/SC client from outside (pcscd's unix socket crosses network
 * namespaces). The server must not share the client's process: the `smartcard` package's disconnect
 * and status calls are synchronous, and pcscd asks the card for its ATR while they block.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromHex } from '../../protocol/bytes.ts';
import { createCard } from '../../simulator/index.ts';
import { createPcscReader, serveCardOverVpcd, VPCD_READER_NAME, type ServedCard } from '../../reader-bridge/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'reader-bridge/vpcd/quickack-namespace.sh');
const MEASURE_MS = Number(process.env.BENCH_VPCD_MS ?? 2000);
const COMMAND = fromHex('80CA9F7F00');

interface Figure {
  target: string;
  apdus: number;
  perSecond: number;
  p50us: number;
  p99us: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Server process: serve our card or the bare responder over vpcd until SIGTERM. */
async function serve(target: string): Promise<void> {
  const atr = fromHex('3B8C8001636172646C6162204750323340');
  const ok = Uint8Array.of(0x90, 0x00);
  const bare: ServedCard = { profile: { atr }, powerOn: () => atr, powerOff() {}, reset: () => atr, transmit: () => ok };
  const server = serveCardOverVpcd(target === 'bare' ? bare : createCard({ seed: 0 }), { backoff: { initialMs: 20, maxMs: 200 } });
  await server.whenConnected(10_000);
  process.stdout.write('connected\n');
  await new Promise<void>((r) => process.once('SIGTERM', () => r()));
  await server.stop();
}

/** Client: start a server process for `target`, drive it through PC/SC, stop it; the figures. */
async function measure(target: 'card' | 'bare', netns: string): Promise<Figure> {
  const node = [process.execPath, '--import', 'tsx', import.meta.filename, '--serve', target];
  const argv = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => b.toString().includes('connected') && resolve());
      child.once('exit', (code) => reject(new Error(`the ${target} server exited (${code})`)));
    });
    const reader = await createPcscReader({ reader: VPCD_READER_NAME });
    for (let t = Date.now(); !reader.isCardPresent(); await sleep(20)) if (Date.now() - t > 5000) throw new Error(`${VPCD_READER_NAME} shows no card`);
    await reader.powerOn();
    for (let w = performance.now(); performance.now() - w < Math.min(300, MEASURE_MS / 4); ) await reader.transmit(COMMAND);
    const times: number[] = [];
    const start = performance.now();
    let now = start;
    while (now - start < MEASURE_MS) {
      const t = performance.now();
      await reader.transmit(COMMAND);
      now = performance.now();
      times.push(now - t);
    }
    await reader.close();
    times.sort((a, b) => a - b);
    const q = (p: number) => Math.round(times[Math.min(times.length - 1, Math.floor(times.length * p))]! * 1000);
    return { target, apdus: times.length, perSecond: (times.length * 1000) / (now - start), p50us: q(0.5), p99us: q(0.99) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** One mode: pcscd up (same socket path every time: pcsc-lite's client reads PCSCLITE_CSOCK_NAME once), both targets, pcscd down. */
async function run(mode: 'quickack' | 'plain', runDir: string): Promise<Figure[] | string> {
  const name = `cardlab-bench-${process.pid}`;
  const up = spawnSync(SCRIPT, mode === 'quickack' ? ['up', runDir, name] : ['up-plain', runDir], { encoding: 'utf8' });
  if (up.status !== 0) return `pcscd did not start: ${up.stderr.trim()}`;
  const vars = Object.fromEntries(up.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  try {
    return [await measure('card', vars.NETNS ?? ''), await measure('bare', vars.NETNS ?? '')];
  } catch (e) {
    return (e as Error).message;
  } finally {
    spawnSync(SCRIPT, ['down', ...(vars.NETNS ? [vars.NETNS] : []), vars.PCSCD_PID!], { encoding: 'utf8' });
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt > 0) {
  await serve(process.argv[serveAt + 1] ?? 'card');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'cardlab-bench-vpcd-'));
  process.env.PCSCLITE_CSOCK_NAME = join(dir, 'run', 'pcscd.comm');
  console.log(`cardlab vpcd bench — node ${process.version}, ${new Date().toISOString()}`);
  console.log(`smartcard → pcscd → vpcd → TCP → serveCardOverVpcd; GET DATA 9F7F for ${MEASURE_MS} ms per figure, one APDU in flight`);
  const netns = spawnSync(SCRIPT, ['probe']).status === 0;
  const modes: Array<'quickack' | 'plain'> = netns ? ['quickack', 'plain'] : ['plain'];
  if (!netns) console.log('ip netns is not permitted here: plain loopback only');
  for (const mode of modes) {
    const r = await run(mode, join(dir, 'run'));
    const label = mode === 'quickack' ? 'quickack namespace' : 'plain loopback';
    if (typeof r === 'string') {
      console.log(`${label}: ${r}`);
      process.exitCode = 1;
      continue;
    }
    const [card, bare] = r as [Figure, Figure];
    const line = (f: Figure, what: string) =>
      console.log(`${label.padEnd(19)} ${what.padEnd(26)} ${f.perSecond.toFixed(0).padStart(7)} APDU/s  p50 ${(f.p50us / 1000).toFixed(3)} ms  p99 ${(f.p99us / 1000).toFixed(3)} ms  (${f.apdus} APDUs)`);
    line(card, 'cardlab card (CPLC)');
    line(bare, 'bare responder (9000)');
    console.log(`${label.padEnd(19)} ${'ratio card / bare'.padEnd(26)} ${(card.perSecond / bare.perSecond).toFixed(2).padStart(7)}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
