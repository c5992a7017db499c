/**
 * Benchmarks (figures, not assertions): in-process APDU throughput of the simulated card and the
 * heap cost of an idle card. Run with `npm run bench`. Targets from issue #2: SELECT / GET DATA
 * ≥ 300k APDU/s, ≤ 16 KB per idle card; anchor: jCardSim answers a trivial applet at 0.84–1.14 M APDU/s.
 */
import { fromHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { buildGetStatus } from '../../protocol/gp/commands/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { parseCommandApdu } from '../../protocol/apdu/index.ts';
import { createCard, type Card } from '../../simulator/index.ts';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');

function rate(name: string, target: number | undefined, fn: () => void): number {
  const warm = performance.now();
  while (performance.now() - warm < 300) fn();
  let best = 0;
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < 400) {
      for (let i = 0; i < 1000; i++) fn();
      n += 1000;
      now = performance.now();
    }
    best = Math.max(best, (n * 1000) / (now - start));
  }
  const t = target ? `  (target ≥ ${(target / 1000).toFixed(0)}k: ${best >= target ? 'met' : 'NOT met'})` : '';
  console.log(`${name.padEnd(44)} ${(best / 1000).toFixed(1).padStart(8)} k/s${t}`);
  return best;
}

function poweredCard(): Card {
  const card = createCard({ seed: 1 });
  card.powerOn();
  return card;
}

console.log(`cardlab bench — node ${process.version}, ${new Date().toISOString()}`);
console.log('best of 5 rounds of 400 ms, after 300 ms warm-up');

const select = fromHex('00A4040008A00000015100000000');
const getCplc = fromHex('80CA9F7F00');
rate('parseCommandApdu (SELECT)', undefined, () => parseCommandApdu(select));
{
  const card = poweredCard();
  rate('SELECT ISD (in process)', 300_000, () => card.transmit(select));
}
{
  const card = poweredCard();
  rate('GET DATA 9F7F CPLC (in process)', 300_000, () => card.transmit(getCplc));
}
{
  const card = poweredCard();
  rate('GET DATA FF21 (in process)', undefined, () => card.transmit(fromHex('80CAFF2100')));
}
for (const level of [0x01, 0x33]) {
  const card = poweredCard();
  const host = new Scp03HostSession({ keys: { enc: KEY, mac: KEY, dek: KEY }, random: seededRandom(1) });
  const r = card.transmit(host.initializeUpdateCommand());
  host.processInitializeUpdateResponse(r.subarray(0, r.length - 2));
  card.transmit(host.externalAuthenticateCommand(level));
  const plain = buildGetStatus({ subset: 0x80 });
  rate(`GET STATUS, SCP03 level ${level.toString(16).padStart(2, '0')} (host wrap+card+unwrap)`, undefined, () => {
    host.unwrap(card.transmit(host.wrap(plain)));
  });
}
{
  const card = poweredCard();
  const host = new Scp03HostSession({ keys: { enc: KEY, mac: KEY, dek: KEY }, random: seededRandom(1) });
  rate('INITIALIZE UPDATE (persistent counter write)', undefined, () => {
    card.transmit(host.initializeUpdateCommand());
  });
}

// Heap per idle card: 1,000 powered cards alive.
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.log('heap per idle card: run with node --expose-gc (npm run bench does)');
} else {
  gc();
  const before = process.memoryUsage().heapUsed;
  const cards: Card[] = [];
  for (let i = 0; i < 1000; i++) cards.push(poweredCard());
  gc();
  const after = process.memoryUsage().heapUsed;
  const per = (after - before) / cards.length;
  console.log(`${'heap per idle powered card (1,000 alive)'.padEnd(44)} ${(per / 1024).toFixed(1).padStart(8)} KB  (target ≤ 16 KB: ${per <= 16 * 1024 ? 'met' : 'NOT met'})`);
}
