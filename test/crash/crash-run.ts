import { join } from 'node:path';
import { inspect, type Expectation, type Verdict } from './crash-checks.ts';
import { copyDataDir, outcomeOf, runTerminal, startIssuer, startProvider, type IssuerProcess, type Template } from './crash-world.ts';
import { formatKillPoint, type IssuerEvent, type KillPoint } from './kill-point.ts';

/** What one kill point (or the dry run, without one) came to. */
export interface RunReport {
  point?: KillPoint;
  /** How the crashing issuer process ended: `SIGKILL at <its crash line>`, or why not. */
  issuerDeath: string;
  /** The terminal's run against the crashing issuer. */
  crashRun: string;
  /** The terminal's runs against the restarted issuer, until one completed (at most 3). */
  recoveryRuns: string[];
  /** Requests and writes the (first) issuer process reported. */
  events: IssuerEvent[];
  verdict: Verdict & { orders: string[] };
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The terminal against an issuer that dies: one attempt per request (retrying a dead server only waits), short S15 wait. */
const CRASH_TERMINAL = { http: { attempts: 1, timeoutMs: 5000 }, notificationTimeoutMs: 3000 };
/** The terminal against the restarted issuer: as it runs by default, with retries. */
const RECOVERY_TERMINAL = { http: { attempts: 3, timeoutMs: 5000 }, notificationTimeoutMs: 5000 };
const RECOVERY_RUNS = 3;

async function waitForDeath(issuer: IssuerProcess, point: KillPoint): Promise<string> {
  const exit = await Promise.race([issuer.exited, sleep(5000).then(() => undefined)]);
  if (!exit) {
    await issuer.stop();
    return `still running 5 s after the terminal's run: kill point ${formatKillPoint(point)} never reached`;
  }
  return `${exit.signal ?? `exit code ${exit.code}`} at ${issuer.crashLine() ?? `no crash line (${issuer.stderr().trim().split('\n').at(-1) ?? ''})`}`;
}

/**
 * One point of the campaign on a fresh copy of the template: the issuer process killed at `point`
 * while the terminal runs, restarted on the same data directory, the terminal rerun on the same card
 * image until it completes, then everything inspected. Without a point: one clean run (the dry run).
 */
export async function crashAndRecover(template: Template, dir: string, expectation: Expectation, point?: KillPoint): Promise<RunReport> {
  const t0 = Date.now();
  copyDataDir(template, dir);
  const cardPath = join(dir, template.cardFile);
  const provider = await startProvider(dir);
  const started: IssuerProcess[] = [];
  const terminal = (issuerUrl: string, o: typeof CRASH_TERMINAL) => runTerminal(cardPath, { issuerUrl, providerUrl: provider.url, serviceId: template.serviceId, ...o });
  try {
    const first = await startIssuer(dir, `${provider.url}/notifications`, point);
    started.push(first);
    const crashRun = outcomeOf(await terminal(first.url, point ? CRASH_TERMINAL : RECOVERY_TERMINAL));
    let issuerDeath = 'not killed (dry run)';
    const recoveryRuns: string[] = [];
    if (point) {
      issuerDeath = await waitForDeath(first, point);
      const second = await startIssuer(dir, `${provider.url}/notifications`);
      started.push(second);
      for (let i = 0; i < RECOVERY_RUNS && recoveryRuns.at(-1) !== 'completed'; i++) recoveryRuns.push(outcomeOf(await terminal(second.url, RECOVERY_TERMINAL)));
      await second.stop();
    } else {
      await first.stop();
    }
    await provider.close();
    return { ...(point ? { point } : {}), issuerDeath, crashRun, recoveryRuns, events: first.events, verdict: inspect(dir, cardPath, expectation), ms: Date.now() - t0 };
  } finally {
    for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await provider.close();
  }
}
