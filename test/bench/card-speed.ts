/**
 * In-process speed of the simulated card, each figure beside a bare responder measured the same way in
 * the same process (a function that parses nothing and returns one preallocated `90 00`), so a figure
 * reads as "this fraction of what a call through the same loop can reach on this machine, now".
 *
 * Rounds are interleaved (every case once per round, after a warm-up of each) and each figure is the
 * median over rounds, so a neighbour's burst of CPU hits every case alike rather than one.
 * Run by `npm run bench` on compiled JavaScript (see compile.ts); run it directly with
 * `node --expose-gc node_modules/.cache/cardlab-bench/test/bench/card-speed.js` after a compile.
 */
import { availableParallelism, loadavg } from 'node:os';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { buildCap, buildLoadFile, loadFileDataBlock, readCap } from '../../protocol/cap/index.ts';
import { buildGetStatus, buildInstallForInstall, buildInstallForLoad, buildLoadCommands, buildSelect } from '../../protocol/gp/commands/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID, type Card } from '../../simulator/index.ts';
import { parseCommandApdu } from '../../protocol/apdu/index.ts';

const WARM_UP_MS = 300;
const ROUNDS = 7;
const ROUND_MS = 150;
const BATCH = 1000;
const IDLE_CARDS = 10_000;
const CREATION_ROUNDS = 15;
const CARDS_PER_ROUND = 100;

type Op = () => unknown;
interface RateCase {
  name: string;
  /** Minimum operations per second, when the issue sets one. */
  target?: number;
  op: Op;
}

const OK = new Uint8Array([0x90, 0x00]);
/** The yardstick: answers every command with the same preallocated 9000, parsing nothing. */
const bareResponder = (_command: Uint8Array): Uint8Array => OK;

/** Runs `op` in batches for about `ms` milliseconds; operations per second. */
function rateFor(op: Op, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < BATCH; i++) op();
    n += BATCH;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sw(r: Uint8Array): string {
  return toHex(r.subarray(r.length - 2));
}

function expectSw(r: Uint8Array, expected: string, what: string): Uint8Array {
  if (sw(r) !== expected) throw new Error(`${what}: expected ${expected}, the card answered ${toHex(r)}`);
  return r;
}

function poweredCard(seed = 1): Card {
  const card = createCard({ seed });
  card.powerOn();
  return card;
}

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');

/** Opens an SCP03 session at `level` with the default keyset; the host side of it. */
function openSession(card: Card, level: number): Scp03HostSession {
  const host = new Scp03HostSession({ keys: { enc: KEY, mac: KEY, dek: KEY }, random: seededRandom(1) });
  const r = expectSw(card.transmit(host.initializeUpdateCommand()), '9000', 'INITIALIZE UPDATE');
  host.processInitializeUpdateResponse(r.subarray(0, r.length - 2));
  expectSw(card.transmit(host.externalAuthenticateCommand(level)), '9000', 'EXTERNAL AUTHENTICATE');
  return host;
}

/** A powered card with the echo applet loaded, installed, made selectable and selected on the basic channel. */
function cardWithEchoSelected(): Card {
  const card = poweredCard();
  const host = openSession(card, 0x03);
  const send = (plain: Uint8Array, what: string) => expectSw(host.unwrap(card.transmit(host.wrap(plain))), '9000', what);
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid: ECHO_PACKAGE_AID, appletAids: [ECHO_APPLET_AID], codeSize: 100 })));
  send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID }), 'INSTALL [for load]');
  for (const c of buildLoadCommands(buildLoadFile(lfdb), 239)) send(c, 'LOAD');
  send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID }), 'INSTALL [for install and make selectable]');
  expectSw(card.transmit(buildSelect(ECHO_APPLET_AID)), '9000', 'SELECT echo');
  return card;
}

function rateCases(): RateCase[] {
  const select = fromHex('00A4040008A00000015100000000');
  const getCplc = fromHex('80CA9F7F00');
  const echo = fromHex('80100000040102030400');
  const unknownIns = fromHex('807E0000');

  const selectCard = poweredCard();
  expectSw(selectCard.transmit(select), '9000', 'SELECT ISD');
  const cplcCard = poweredCard();
  expectSw(cplcCard.transmit(getCplc), '9000', 'GET DATA 9F7F');
  const echoCard = cardWithEchoSelected();
  if (toHex(echoCard.transmit(echo)) !== '010203049000') throw new Error('the echo applet did not echo');
  const refusingCard = poweredCard();
  expectSw(refusingCard.transmit(unknownIns), '6D00', 'unknown INS');
  const scpCard = poweredCard();
  const host = openSession(scpCard, 0x33);
  const getStatus = buildGetStatus({ subset: 0x80 });
  expectSw(host.unwrap(scpCard.transmit(host.wrap(getStatus))), '9000', 'GET STATUS at level 33');
  // The rows of the earlier bench, kept so that no figure it printed goes unmeasured.
  const level01Card = poweredCard();
  const host01 = openSession(level01Card, 0x01);
  expectSw(host01.unwrap(level01Card.transmit(host01.wrap(getStatus))), '9000', 'GET STATUS at level 01');
  const ff21Card = poweredCard();
  const getFf21 = fromHex('80CAFF2100');
  expectSw(ff21Card.transmit(getFf21), '9000', 'GET DATA FF21');
  const counterCard = poweredCard();
  const counterHost = openSession(counterCard, 0x01);
  const initializeUpdate = counterHost.initializeUpdateCommand();
  const manageChannel = fromHex('0070000001');
  const closeChannel = fromHex('0170800100');
  const channelCard = poweredCard();
  expectSw(channelCard.transmit(manageChannel), '9000', 'MANAGE CHANNEL open');
  expectSw(channelCard.transmit(closeChannel), '9000', 'MANAGE CHANNEL close');

  return [
    { name: 'bare responder (returns a preallocated 9000)', op: () => bareResponder(select) },
    { name: 'SELECT ISD', target: 3_000_000, op: () => selectCard.transmit(select) },
    { name: 'GET DATA 9F7F (CPLC)', target: 3_000_000, op: () => cplcCard.transmit(getCplc) },
    { name: 'echo applet command (selected applet)', target: 3_000_000, op: () => echoCard.transmit(echo) },
    { name: 'unknown INS, refused 6D00', target: 3_000_000, op: () => refusingCard.transmit(unknownIns) },
    { name: 'GET STATUS, SCP03 level 33 (wrap+card+unwrap)', target: 60_000, op: () => host.unwrap(scpCard.transmit(host.wrap(getStatus))) },
    { name: 'GET STATUS, SCP03 level 01 (wrap+card+unwrap)', op: () => host01.unwrap(level01Card.transmit(host01.wrap(getStatus))) },
    { name: 'GET DATA FF21 (card resources)', op: () => ff21Card.transmit(getFf21) },
    { name: 'parseCommandApdu (SELECT)', op: () => parseCommandApdu(select) },
    { name: 'INITIALIZE UPDATE (persistent counter write)', op: () => counterCard.transmit(initializeUpdate) },
    { name: 'MANAGE CHANNEL open + close (two events each)', op: () => (channelCard.transmit(manageChannel), channelCard.transmit(closeChannel)) },
  ];
}

/** Interleaved rounds after a warm-up of each case: per case, the median rate and the median ratio to the bare responder. */
function measureRates(cases: RateCase[]): Array<{ rate: number; ratio: number }> {
  for (const c of cases) rateFor(c.op, WARM_UP_MS);
  const rates = cases.map((): number[] => []);
  const ratios = cases.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    const r = cases.map((c) => rateFor(c.op, ROUND_MS));
    r.forEach((x, i) => {
      rates[i]!.push(x);
      ratios[i]!.push(x / r[0]!);
    });
  }
  return cases.map((_, i) => ({ rate: median(rates[i]!), ratio: median(ratios[i]!) }));
}

/** Microseconds per createCard (each with another seed, so nothing is the same card twice): median of rounds. */
function creationMicroseconds(): number {
  let seed = 1_000;
  const one = () => createCard({ seed: seed++ });
  rateFor(one, WARM_UP_MS);
  const rounds: number[] = [];
  for (let round = 0; round < CREATION_ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < CARDS_PER_ROUND; i++) one();
    rounds.push(((performance.now() - start) * 1000) / CARDS_PER_ROUND);
  }
  return median(rounds);
}

/** Heap (and off-heap ArrayBuffer) bytes per idle powered card with IDLE_CARDS of them alive. */
function idleCardBytes(): { heap: number; arrayBuffers: number } | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  const before = process.memoryUsage();
  const cards: Card[] = [];
  for (let i = 0; i < IDLE_CARDS; i++) cards.push(poweredCard(i));
  gc();
  gc();
  const after = process.memoryUsage();
  if (cards.length !== IDLE_CARDS) throw new Error('unreachable');
  return { heap: (after.heapUsed - before.heapUsed) / IDLE_CARDS, arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / IDLE_CARDS };
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`;
}

function row(cells: string[]): string {
  const widths = [48, 12, 10, 14, 8];
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function main(): void {
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  const code = import.meta.url.endsWith('.ts') ? 'TypeScript under tsx (keepNames wrappers)' : 'compiled JavaScript (no tsx)';
  console.log(`cardlab card speed — node ${process.version}, ${code}, ${new Date().toISOString()}`);
  console.log(`${availableParallelism()} CPUs, load average ${load}: figures from a busy machine are low; the ratios to the bare responder less so`);
  console.log(`${ROUNDS} interleaved rounds of ${ROUND_MS} ms per case after ${WARM_UP_MS} ms warm-up each; medians`);
  console.log('');
  console.log(row(['case', 'APDU/s', 'vs bare', 'target', 'met?']));
  const cases = rateCases();
  const results = measureRates(cases);
  cases.forEach((c, i) => {
    const { rate, ratio } = results[i]!;
    const target = c.target === undefined ? '' : `≥ ${fmtRate(c.target)}`;
    const met = c.target === undefined ? '' : rate >= c.target ? 'met' : 'NOT met';
    console.log(row([c.name, fmtRate(rate), i === 0 ? '1' : ratio.toPrecision(2), target, met]));
  });
  const us = creationMicroseconds();
  console.log(row(['createCard (µs per card, new seed each)', `${us.toFixed(1)} µs`, '', '≤ 100 µs', us <= 100 ? 'met' : 'NOT met']));
  const idle = idleCardBytes();
  if (!idle) console.log('heap per idle card: run node with --expose-gc (npm run bench does)');
  else {
    const kb = idle.heap / 1024;
    console.log(row([`heap per idle powered card (${IDLE_CARDS.toLocaleString('en')} alive)`, `${kb.toFixed(1)} KB`, '', '≤ 12 KB', kb <= 12 ? 'met' : 'NOT met']));
    console.log(row(['  off-heap ArrayBuffers per idle card (no target)', `${(idle.arrayBuffers / 1024).toFixed(1)} KB`, '', '', '']));
  }
}

main();
