import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { toHex } from '../protocol/bytes.ts';
import { generateEcKeyPair, seededRandom } from '../protocol/crypto/index.ts';
import { annotate } from '../protocol/describe.ts';
import { createCard, loadCard, readProfileFile, CardError, DEFAULT_APPLETS, type AppletModel, type Card, type CardProfileInput } from '../simulator/index.ts';
import { loadScenario } from './load-scenario.ts';
import { ScenarioError } from './scenario-error.ts';
import { stepKind, type Scenario, type ScenarioKeys, type Step, type StepKind } from './scenario.ts';
import { NoResponse, ScenarioSkipped, StepFailure, type CardPort, type RunContext, type StepRunner, type TraceEntry } from './run-context.ts';
import { apduStep, authenticateStep, selectStep, loadStep, installStep, deleteStep, getStatusStep, powerCycleStep, resetStep } from './steps/card-steps.ts';
import { assertStep } from './steps/assert-step.ts';
import { applyCardFault, newCardFaultState, type CardFaultState } from './faults/card-faults.ts';
import { openScenarioReader } from './card-port.ts';
import { createEmbeddedEnvironment, needsServers } from './env/embedded-environment.ts';
import { withCardFaults } from './faults/faulty-reader.ts';
import { loadScenarioApplets } from './env/user-applets.ts';
import { cardKeysOf } from './env/scenario-keys.ts';
import { ReaderError, withTrace } from '../reader-bridge/index.ts';
import { createTimeline, type TimelineEntry } from './timeline/index.ts';

export interface StepResult {
  index: number;
  kind: StepKind;
  name: string;
  line: number | undefined;
  status: 'passed' | 'failed' | 'not-run';
  durationMs: number;
  detail?: string;
  error?: string;
  context?: { command?: string; response?: string; notes?: string[] };
}

export interface ScenarioResult {
  file: string;
  name: string;
  tags: string[];
  seed: number;
  /** `skipped` only when this machine lacks what the scenario's reader needs (see `skipReason`). */
  status: 'passed' | 'failed' | 'error' | 'skipped';
  durationMs: number;
  steps: StepResult[];
  /** Why the scenario could not run here, and what to install (e.g. pcscd and vsmartcard-vpcd for `reader: vpcd`). */
  skipReason?: string;
  /** The first failing step, or the reason the scenario could not run, in the user's terms. */
  failure?: { step?: number; path?: string; line?: number; message: string; context?: StepResult['context'] };
  trace: TraceEntry[];
  /** Everything that happened on one clock: card, steps, terminal progress, HTTP, outbox, faults (scenarios/timeline). */
  timeline?: TimelineEntry[];
}

export interface RunOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /**
   * Overrides the scenario's reader. A `replay:FILE` given here is relative to the working directory (as on
   * the command line); one written in the scenario is relative to the scenario's folder.
   */
  reader?: string;
  /** Overrides the scenario's `keys:` (`cardlab run --keys FILE`): the ISD keys of the card, real or simulated. */
  keys?: ScenarioKeys;
  /** Hooks that add servers, a terminal and network faults (see scenarios/env). */
  environment?: ScenarioEnvironment;
}

/** What a run environment adds: step runners for server/terminal steps and setup/teardown. */
export interface ScenarioEnvironment {
  /** Called before the card is made: an environment with an issuer gives the card the issuer's DAP key. */
  prepare?(scenario: Scenario, seed: number): Promise<{ dapPublicKey: Uint8Array } | undefined>;
  setup(ctx: RunContext): Promise<void>;
  /** Releases what prepare/setup started (servers, interceptors); called once the scenario ended, whatever happened. */
  dispose?(): Promise<void>;
  steps: Partial<Record<StepKind, StepRunner>>;
}

const CARD_STEPS: Partial<Record<StepKind, StepRunner>> = {
  apdu: apduStep,
  authenticate: authenticateStep,
  select: selectStep,
  load: loadStep,
  install: installStep,
  delete: deleteStep,
  getStatus: getStatusStep,
  powerCycle: powerCycleStep,
  reset: resetStep,
  assert: assertStep,
  wait: async (_ctx, step) => {
    if (typeof step.wait === 'number') await new Promise((r) => setTimeout(r, step.wait as number));
    else throw new StepFailure('wait until … needs servers (servers: embedded)');
  },
};

function stepName(step: Step, kind: StepKind): string {
  if (step.name) return step.name;
  const v = step[kind];
  return typeof v === 'string' || typeof v === 'number' ? `${kind} ${v}` : kind;
}

/**
 * The scenario's simulated card: its image, profile file or inline profile, with the user's applet models
 * before the bundled ones, personalised with the scenario's keys when it gives some (so the scenario is the
 * same on the simulated card as on a real card holding those keys).
 */
function buildCard(scenario: Scenario, seed: number, dapPublicKey: Uint8Array, userApplets: AppletModel[]): Card {
  const spec = scenario.card ?? {};
  const dir = scenario.dir ?? process.cwd();
  const applets = userApplets.length > 0 ? [...userApplets, ...DEFAULT_APPLETS] : undefined;
  let card: Card;
  if (spec.image) card = loadCard(resolve(dir, spec.image), { seed, ...(applets ? { applets } : {}) });
  else {
    const base: CardProfileInput = spec.profileFile ? readProfileFile(resolve(dir, spec.profileFile)) : (spec.profile ?? {});
    const profile: CardProfileInput = spec.dap === false || base.dap ? base : { ...base, dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: toHex(dapPublicKey) } } };
    card = createCard({ profile, seed, ...(applets ? { applets } : {}) });
  }
  if (scenario.keys) card.installKeys(cardKeysOf(scenario.keys));
  return card;
}

/**
 * Over a real reader (pcsc) or a replay, no command reaches the simulated card: card assertions and card
 * faults say they need it instead of reading a card the steps never drove. Authenticate steps keep the
 * keys it holds (its profile's, or the embedded issuer's), as they had them when the card was driven.
 */
function forgetUndrivenCard(ctx: RunContext, card: Card): void {
  const k = card.keyset();
  if (!ctx.scenario.keys && k) ctx.scenario = { ...ctx.scenario, keys: { kvn: k.kvn.toString(16).padStart(2, '0').toUpperCase(), enc: toHex(k.enc), mac: toHex(k.mac), dek: toHex(k.dek) } };
  ctx.card = undefined;
  ctx.initialFree = undefined;
}

/** A replay trace named in the scenario is relative to its folder; one given to the run, to the working directory. */
function readerOf(scenario: Scenario, options: RunOptions): { spec: string; dir: string } {
  const spec = options.reader ?? scenario.reader ?? 'sim';
  const dir = options.reader !== undefined ? process.cwd() : (scenario.dir ?? process.cwd());
  if (spec.startsWith('replay:') && !existsSync(resolve(dir, spec.slice(7)))) {
    const rule = options.reader !== undefined ? 'given to the run, it is relative to the working directory' : "written in the scenario, it is relative to the scenario's folder";
    throw new ScenarioError(scenario.file ?? '(inline)', undefined, 'reader', `reader ${spec}: no trace file ${resolve(dir, spec.slice(7))} (${rule})`);
  }
  return { spec, dir };
}

/**
 * Runs one scenario (a file or a loaded Scenario) and returns what happened: every step's outcome, the
 * first failure in the user's terms, and the card-side APDU trace. Never throws for a scenario
 * problem: a malformed file is a result with status 'error' naming file, line and path.
 */
export async function runScenario(source: string | Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  let scenario: Scenario;
  try {
    scenario = typeof source === 'string' ? loadScenario(source) : source;
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    return { file: String(source), name: String(source), tags: [], seed: 0, status: 'error', durationMs: Date.now() - started, steps: [], trace: [], failure: { path: err.path, line: err.line, message: err.message } };
  }
  if (options.keys) scenario = { ...scenario, keys: options.keys };
  const seed = options.seed ?? scenario.seed ?? 0;
  // Called alone (from a test), a scenario that needs servers gets the embedded ones.
  if (!options.environment && needsServers(scenario)) options = { ...options, environment: createEmbeddedEnvironment() };
  const file = scenario.file ?? '(inline)';
  const result: ScenarioResult = { file, name: scenario.name, tags: scenario.tags ?? [], seed, status: 'passed', durationMs: 0, steps: [], trace: [] };
  const timeline = createTimeline();
  timeline.run(scenario, seed);
  result.timeline = timeline.entries;
  const dapKey = generateEcKeyPair('P-256', seededRandom(`cardlab-dap:${seed}`));
  const faults: CardFaultState = newCardFaultState();
  let hostSeeds = 0;
  let ctx: RunContext | undefined;
  try {
    if (scenario.keys && needsServers(scenario) && typeof scenario.servers !== 'object') {
      throw new ScenarioError(file, undefined, 'keys', "keys: the embedded issuer personalises the simulated card with per-card keys of its own; to provision a card whose keys you give, name your issuer by URL (servers: { issuer, provider }) and enrol the card there (docs/guides.md)");
    }
    const reader = readerOf(scenario, options);
    const userApplets = scenario.applets ? await loadScenarioApplets(scenario.applets, scenario.dir ?? process.cwd()) : [];
    const prepared = options.environment?.prepare ? await options.environment.prepare(scenario, seed) : undefined;
    const card = buildCard(scenario, seed, prepared?.dapPublicKey ?? dapKey.publicKey, userApplets);
    const trace: TraceEntry[] = result.trace;
    const raw = await openScenarioReader(reader.spec, card, reader.dir);
    const faultPort = withCardFaults(raw, faults);
    const port: CardPort = Object.assign(withTrace(faultPort, timeline.cardSink(trace), userApplets.length > 0 ? { applets: [...userApplets, ...DEFAULT_APPLETS] } : {}), { reinsert: () => faultPort.reinsert() });
    // The runner holds the keys the card was personalised with (the embedded issuer's): sessions opened with them read plain.
    timeline.holdKeys(() => [card.keyset()].filter((k) => k !== undefined));
    const c: RunContext = {
      scenario,
      seed,
      card,
      port,
      session: undefined,
      dapKey,
      trace,
      startedAt: started,
      initialFree: card.store.freeBytes(),
      nextHostSeed: () => `cardlab-host:${seed}:${hostSeeds++}`,
      env: { faults },
      cleanups: [() => port.close()],
      send: async (command, opts = {}) => {
        const wire = opts.secure && c.session ? c.session.wrap(command) : command;
        let response: Uint8Array;
        try {
          response = await port.transmit(wire);
        } catch (err) {
          if (err instanceof ReaderError && ['POWER_LOSS', 'CARD_REMOVED', 'NO_CARD'].includes(err.code)) {
            c.session = undefined;
            throw new NoResponse(err.message);
          }
          throw err;
        }
        return opts.secure && c.session ? c.session.unwrap(response) : response;
      },
    };
    ctx = c;
    c.env.timeline = timeline;
    await port.powerOn();
    if (options.environment) await options.environment.setup(c);
    if (reader.spec !== 'sim' && reader.spec !== 'vpcd') forgetUndrivenCard(c, card);
    const runners = { ...CARD_STEPS, ...(options.environment?.steps ?? {}) };
    runners.fault = async (cx, step) => {
      const env = cx.env['fault.network'] as StepRunner | undefined;
      const f = step.fault!;
      const parts = [applyCardFault(cx.card, faults, f, (rule) => timeline.push({ kind: 'fault', event: 'fired', rule, target: 'card' }))];
      if (f.network || f.notificationFailures || f.clear) {
        if (!env) {
          if (f.network || f.notificationFailures) throw new StepFailure('network and notification faults need servers (servers: embedded)');
        } else parts.push((await env(cx, step, 0)) ?? '');
      }
      return parts.filter(Boolean).join(', ');
    };
    runners.powerCycle = async (cx, step, i) => {
      cx.port.reinsert();
      return powerCycleStep(cx, step, i);
    };

    let failed = false;
    for (let i = 0; i < scenario.steps.length; i++) {
      const step = scenario.steps[i]!;
      const kind = stepKind(step);
      const sr: StepResult = { index: i, kind, name: stepName(step, kind), line: scenario.stepLines?.[i], status: 'not-run', durationMs: 0 };
      result.steps.push(sr);
      if (failed) continue;
      const t0 = Date.now();
      timeline.stepStarted(sr);
      try {
        const runner = runners[kind];
        if (!runner) throw new StepFailure(`${kind} steps need servers and a terminal (servers: embedded)`);
        const detail = await runner(c, step, i);
        if (detail) sr.detail = detail;
        sr.status = 'passed';
      } catch (err) {
        failed = true;
        sr.status = 'failed';
        sr.error = err instanceof StepFailure ? err.message : `unexpected error: ${(err as Error).stack ?? String(err)}`;
        if (err instanceof StepFailure && err.context) sr.context = err.context;
        result.status = 'failed';
        result.failure = { step: i, path: `steps[${i}]`, line: sr.line, message: `step ${i + 1} (${sr.name}${sr.line ? `, line ${sr.line}` : ''}): ${sr.error}`, context: sr.context };
      }
      sr.durationMs = Date.now() - t0;
      timeline.stepEnded(sr);
    }
  } catch (err) {
    if (err instanceof ScenarioSkipped) {
      result.status = 'skipped';
      result.skipReason = err.message;
    } else {
      result.status = 'error';
      result.failure = { message: err instanceof ScenarioError ? err.message : `could not run: ${(err as Error).message}` };
    }
  } finally {
    const cleanups = [...(ctx?.cleanups ?? []), ...(options.environment?.dispose ? [() => options.environment!.dispose!()] : [])];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // cleanup problems must not hide the scenario's result
      }
    }
  }
  result.durationMs = Date.now() - started;
  return result;
}
