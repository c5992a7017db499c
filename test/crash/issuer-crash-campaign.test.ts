/**
 * The crash campaign: the right application on the right card, exactly once, with the service
 * started, even when the issuer process is SIGKILLed at any point of the flow.
 *
 * A dry run of the whole flow S1–S16 (the product's own `cardlab serve` data directory, the issuer as
 * its own process, the provider here, the terminal's `provision()` over a sim reader on the card image
 * file) numbers the issuer's HTTP requests and store writes. Then, for every request (before it is
 * handled; handled but not answered) and every write (before; committed), a fresh copy of the data
 * directory, an issuer process that SIGKILLs itself there, the terminal until it fails, the issuer
 * restarted on the same data, the terminal rerun on the same card image until it completes, and the
 * checks: the applet and its package on the card once, the opening credit once, one confirmed order,
 * the provider told once in effect, both databases intact.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectationFromService, expectedVerdict } from './crash-checks.ts';
import { crashAndRecover, type RunReport } from './crash-run.ts';
import { killAllChildren, prepareTemplate } from './crash-world.ts';
import { formatKillPoint, killPointsOf } from './kill-point.ts';

/** Kill points run two at a time (2 cores). */
const PARALLEL = 2;

const t0 = Date.now();
const root = mkdtempSync(join(tmpdir(), 'cardlab-crash-'));
process.on('exit', killAllChildren);

let setup;
try {
  const template = await prepareTemplate(join(root, 'template'));
  const expectation = expectationFromService(template.dir, template.serviceId);
  mkdirSync(join(root, 'points'));
  const dry = await crashAndRecover(template, join(root, 'dry-run'), expectation);
  // Kill points come from a flow that completed: a dry run that failed numbers only part of the flow.
  setup = { template, expectation, dry, points: dry.crashRun === 'completed' ? killPointsOf(dry.events) : [] };
} catch (err) {
  killAllChildren();
  rmSync(root, { recursive: true, force: true });
  throw err;
}
const { template, expectation, dry, points } = setup;
process.stdout.write(`crash campaign: dry run ${dry.crashRun}; ${points.length} kill points\n${points.map((p) => `  ${formatKillPoint(p).padEnd(18)} ${p.what}`).join('\n')}\n`);

let free = PARALLEL;
const waiting: Array<() => void> = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (free === 0) await new Promise<void>((r) => waiting.push(r));
  else free--;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else free++;
  }
}

const reports: Array<{ name: string; report?: RunReport; passed: boolean }> = [];

afterAll(() => {
  killAllChildren();
  rmSync(root, { recursive: true, force: true });
  const lines = reports.map(({ name, report, passed }) =>
    `  ${passed ? 'pass' : 'FAIL'} ${name.padEnd(60)} ${((report?.ms ?? 0) / 1000).toFixed(1)} s | crash run: ${report?.crashRun.slice(0, 70) ?? '?'} | recovery: ${report?.recoveryRuns.map((r) => r.slice(0, 60)).join(' / ') ?? '?'} | orders: ${report?.verdict.orders.join(', ') ?? '?'}`,
  );
  process.stdout.write(`crash campaign: ${reports.filter((r) => r.passed).length}/${reports.length} kill points pass, ${((Date.now() - t0) / 1000).toFixed(1)} s\n${lines.join('\n')}\n`);
});

describe('issuer crash campaign: the application on the card exactly once, the service started once, across a SIGKILL at every request and store write', () => {
  it(`the dry run (no kill point) completes and passes every check (${dry.events.filter((e) => e.kind === 'request').length} requests, ${dry.events.filter((e) => e.kind === 'write').length} writes)`, () => {
    expect(dry.crashRun).toBe('completed');
    expect(dry.verdict).toMatchObject(expectedVerdict(expectation));
    expect(points.length).toBeGreaterThanOrEqual(8);
  });

  for (const p of points) {
    const name = `SIGKILL ${p.when} ${p.kind} ${p.n} (${p.what})`;
    it.concurrent(`${name}: recovers to one install, one start, one confirmed order`, async ({ expect }) => {
      const entry: (typeof reports)[number] = { name, passed: false };
      reports.push(entry);
      const report = await slot(() => crashAndRecover(template, join(root, 'points', formatKillPoint(p).replace(':', '-')), expectation, p));
      entry.report = report;
      const { orders: _orders, ...verdict } = report.verdict;
      expect({ issuerDeath: report.issuerDeath, recovered: report.recoveryRuns.at(-1), ...verdict }).toEqual({
        issuerDeath: `SIGKILL at crash ${formatKillPoint(p)}`,
        recovered: 'completed',
        ...expectedVerdict(expectation),
      });
      entry.passed = true;
    });
  }
});
