import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { STORE_KEY } from '../../simulator/index.ts';
import { createLogger, ensureDemoData, startServers, type RunningServers } from '../../servers/index.ts';
import { provision, type ProvisionStep } from '../../terminal/index.ts';
import type { RunContext, StepRunner } from '../run-context.ts';
import { StepFailure } from '../run-context.ts';
import type { ScenarioEnvironment } from '../run-scenario.ts';
import type { Scenario, Step } from '../scenario.ts';
import { demoCardOf } from './demo-card.ts';
import { demoServices } from './demo-services.ts';
import { holdInterceptor, networkFaults, type NetworkFaults } from './network-faults.ts';
import { installHttpTap, type HttpTap, type Timeline } from '../timeline/index.ts';
import { serverAssertions } from './server-assertions.ts';

/** Scenario time starts here, whatever the wall clock says: what the servers sign is reproducible. */
const SCENARIO_EPOCH = Date.parse('2026-06-01T00:00:00Z');

/** Does the scenario need the issuer and the provider? */
export function needsServers(s: Scenario): boolean {
  if (s.servers === 'none') return false;
  if (s.servers !== undefined) return true;
  return s.steps.some(
    (st: Step) =>
      st.provision !== undefined ||
      st.terminal !== undefined ||
      st.restart !== undefined ||
      st.http !== undefined ||
      (typeof st.wait === 'object') ||
      st.assert?.issuer !== undefined ||
      st.assert?.provider !== undefined ||
      st.assert?.outbox !== undefined ||
      st.fault?.network !== undefined ||
      st.fault?.notificationFailures !== undefined,
  );
}

interface World {
  servers: RunningServers;
  dataDir: string;
  seed: number;
  restarts: number;
  t0: number;
  faults: NetworkFaults;
}

async function start(w: Omit<World, 'servers'> & { servers?: RunningServers }): Promise<RunningServers> {
  const tag = `${w.seed}:${w.restarts}`;
  // Servers' own time: whole minutes from the scenario epoch (what they sign is reproducible); the
  // outbox keeps real elapsed time so its retries and backoff run.
  const coarse = () => SCENARIO_EPOCH + Math.floor((Date.now() - w.t0) / 60_000) * 60_000;
  return startServers({
    dataDir: w.dataDir,
    logger: createLogger({ name: 'scenario', level: 'silent' }),
    random: seededRandom(`cardlab-issuer:${tag}`),
    providerRandom: seededRandom(`cardlab-provider:${tag}`),
    clock: coarse,
    outbox: { baseDelayMs: 50, pollMs: 25, random: seededRandom(`cardlab-outbox:${tag}`), clock: () => SCENARIO_EPOCH + (Date.now() - w.t0) },
  });
}

/**
 * The embedded environment: an issuer and a provider on loopback port 0 with their databases in a
 * temporary folder (so a restart keeps them), the scenario's card registered with the issuer (its
 * certificate personalised), the demo services (`loyalty`, `echo`) offered, the terminal driving S1–S16
 * through the scenario's reader, network faults on the global fetch (msw), and server assertions.
 */
export function createEmbeddedEnvironment(): ScenarioEnvironment {
  let world: World | undefined;
  /** Running servers named by URL (`servers: { issuer, provider }`): used as they are, nothing registered. */
  let external: { issuerUrl: string; providerUrl: string; adminToken?: string } | undefined;
  /** The timeline's HTTP tap above the interceptor, while a scenario runs. */
  let tap: { http: HttpTap; release: () => void } | undefined;
  const urls = (ctx: RunContext) => {
    if (external) return external;
    const w = need(ctx);
    return { issuerUrl: w.servers.issuerUrl, providerUrl: w.servers.providerUrl, adminToken: w.servers.secrets.adminToken };
  };

  const need = (ctx: RunContext): World => {
    if (external) throw new StepFailure('this step needs the embedded servers (their databases and restarts are in this process); the scenario names running servers by URL');
    if (!world) throw new StepFailure('this step needs servers, and the scenario has `servers: none`');
    return world;
  };

  const runTerminal = async (ctx: RunContext, step: Step, serviceId: string, stopAfter?: ProvisionStep): Promise<string> => {
    const u = urls(ctx);
    ctx.session = undefined;
    const result = await provision({
      reader: ctx.port,
      issuerUrl: u.issuerUrl,
      providerUrl: u.providerUrl,
      serviceId,
      http: { attempts: 3, timeoutMs: 5000 },
      notificationTimeoutMs: 10_000,
      ...(stopAfter ? { stopAfter } : {}),
      onProgress: (p) => (ctx.env.timeline as Timeline | undefined)?.progress(p),
    });
    const expectOutcome = step.expect?.outcome ?? 'completed';
    const summary = result.outcome === 'completed' ? `completed${stopAfter ? ` up to ${stopAfter}` : ''}` : `failed at ${result.error!.step}: ${result.error!.code}${result.error!.serverCode ? ` (${result.error!.serverCode})` : ''} — ${result.error!.message}`;
    if (result.outcome !== expectOutcome) throw new StepFailure(`the terminal ${summary}; expected ${expectOutcome}`);
    if (step.expect?.failedStep && result.error?.step !== step.expect.failedStep) throw new StepFailure(`the terminal ${summary}; expected it to fail at ${step.expect.failedStep}`);
    if (step.expect?.code && result.error?.code !== step.expect.code && result.error?.serverCode !== step.expect.code) {
      throw new StepFailure(`the terminal ${summary}; expected the code ${step.expect.code}`);
    }
    return summary;
  };

  const steps: ScenarioEnvironment['steps'] = {
    http: async (ctx, step) => {
      const u = urls(ctx);
      const h = step.http!;
      const cin = ctx.card ? toHex(ctx.card.store.get(STORE_KEY.CIN) ?? new Uint8Array(0)) : '';
      const fill = (text: string) => text.replaceAll('{cardId}', cin);
      const base = h.target === 'issuer' ? u.issuerUrl : u.providerUrl;
      const body = h.rawBody !== undefined ? fill(h.rawBody) : h.body !== undefined ? fill(JSON.stringify(h.body)) : undefined;
      const response = await fetch(`${base}${fill(h.path)}`, {
        method: h.method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(h.admin && u.adminToken ? { authorization: `Bearer ${u.adminToken}` } : {}) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const what = `${h.method ?? (body === undefined ? 'GET' : 'POST')} ${h.target} ${h.path} → ${response.status}${json?.error?.code ? ` ${json.error.code}` : ''}`;
      const e = step.expect;
      if (e?.status !== undefined && response.status !== e.status) throw new StepFailure(`${what}; expected status ${e.status}${json?.error ? ` (${json.error.message})` : ''}`);
      if (e?.status === undefined && response.status >= 400) throw new StepFailure(`${what}: ${json?.error?.message ?? text.slice(0, 200)}; expected success`);
      if (e?.code !== undefined && json?.error?.code !== e.code) throw new StepFailure(`${what}; expected the error code ${e.code}`);
      for (const [k, v] of Object.entries(e?.bodyContains ?? {})) {
        if (JSON.stringify(json?.[k]) !== JSON.stringify(v)) throw new StepFailure(`${what}: ${k} is ${JSON.stringify(json?.[k])}, expected ${JSON.stringify(v)}`);
      }
      return what;
    },
    provision: (ctx, step) => runTerminal(ctx, step, step.provision!.service),
    terminal: (ctx, step) => runTerminal(ctx, step, step.terminal!.service ?? 'loyalty', step.terminal!.step as ProvisionStep),
    restart: async (ctx, step) => {
      const w = need(ctx);
      await w.servers.close();
      w.restarts++;
      w.servers = await start(w);
      return `${step.restart} restarted (with its database): issuer ${w.servers.issuerUrl}, provider ${w.servers.providerUrl}`;
    },
    wait: async (ctx, step) => {
      if (typeof step.wait === 'number') {
        await new Promise((r) => setTimeout(r, step.wait as number));
        return;
      }
      const w = need(ctx);
      const deadline = Date.now() + (step.wait!.timeoutMs ?? 10_000);
      for (;;) {
        const rows = w.servers.issuer.store.db.all<{ delivered_at: number | null }>('SELECT delivered_at FROM outbox');
        if (rows.length > 0 && rows.every((r) => r.delivered_at !== null)) return `${rows.length} notification(s) delivered`;
        if (Date.now() > deadline) throw new StepFailure(`after ${step.wait!.timeoutMs ?? 10_000} ms, ${rows.filter((r) => r.delivered_at === null).length} of ${rows.length} notification(s) are still undelivered`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };

  return {
    async prepare(scenario, seed) {
      world = undefined;
      external = undefined;
      if (!needsServers(scenario)) return undefined;
      if (typeof scenario.servers === 'object') {
        // The card must already be registered there, e.g. `card: { image: .cardlab/demo-card.json }` of `cardlab serve`.
        if (!scenario.card?.image) throw new StepFailure('with servers named by URL the card must be one they know: give `card: { image: … }` (e.g. the demo card of `cardlab serve`)');
        external = { issuerUrl: scenario.servers.issuer.replace(/\/$/, ''), providerUrl: scenario.servers.provider.replace(/\/$/, ''), ...(scenario.servers.adminToken ? { adminToken: scenario.servers.adminToken } : {}) };
        return undefined;
      }
      const dataDir = mkdtempSync(join(tmpdir(), 'cardlab-scenario-'));
      const partial = { dataDir, seed, restarts: 0, t0: Date.now(), faults: undefined as unknown as NetworkFaults };
      const servers = await start(partial);
      world = { ...partial, servers, faults: networkFaults(() => world!.servers, (url, rule, target) => tap?.http.faultFired(url, rule, target)) };
      return { dapPublicKey: servers.issuer.deps.keys.dap.publicKey };
    },
    async setup(ctx) {
      const timeline = ctx.env.timeline as Timeline | undefined;
      if (timeline && (world || external)) {
        const release = holdInterceptor();
        tap = { release, http: installHttpTap(timeline, () => (external ? { issuer: external.issuerUrl, provider: external.providerUrl } : { issuer: world?.servers.issuerUrl, provider: world?.servers.providerUrl })) };
      }
      if (!world) return;
      const w = world;
      const card = ctx.card;
      if (!card) throw new StepFailure('the embedded servers register the simulated card; this reader has none');
      await ensureDemoData(w.servers, w.dataDir, {
        card: () => demoCardOf(card),
        services: demoServices(),
      });
      // Registration read the card directly; the scenario starts from a freshly powered card.
      await ctx.port.powerOn();
      ctx.initialFree = card.store.freeBytes();
      ctx.env['fault.network'] = (async (_cx, step) => w.faults.apply(step.fault!)) satisfies StepRunner;
      Object.assign(ctx.env, serverAssertions(() => w.servers, card));
    },
    async dispose() {
      tap?.http.uninstall();
      const held = tap;
      tap = undefined;
      const w = world;
      world = undefined;
      external = undefined;
      w?.faults.close();
      held?.release();
      if (!w) return;
      await w.servers.close();
      rmSync(w.dataDir, { recursive: true, force: true });
    },
    steps,
  };
}
