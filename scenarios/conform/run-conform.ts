import { withTrace, type Reader, type TraceEntry } from '../../reader-bridge/index.ts';
import { createCard, resolveProfile, type Card } from '../../simulator/index.ts';
import { SW, swHex, swMeaning, swOf } from '../../protocol/apdu/index.ts';
import { buildDelete } from '../../protocol/gp/commands/index.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { CARD_LIFE_CYCLE, cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import type { ScenarioResult, StepResult } from '../run-scenario.ts';
import { applyEvents, channelState, initialState, type Channel, type ConformState } from './conform-model.ts';
import { LEVEL, onChannel, stepCommand, stepEffect, stepTitle, type ConformWorld } from './host-steps.ts';
import { createLoadMaterial } from './load-material.ts';
import { machineInventory, planConformance, takeStep, type ConformPath } from './plan.ts';
import { openConformLane, ConformUnavailable, type ConformLane } from './conform-readers.ts';
import { readBack } from './read-back.ts';
import { probeWorld } from './probe-world.ts';

/** The ISD keyset a host opens sessions with (`--keys FILE`: `{ "kvn": "30", "enc": hex, "mac": hex, "dek": hex }`). */
export interface HostKeys {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export interface ConformOptions {
  /** sim (default), vpcd, pcsc[:NAME], replay:FILE. */
  reader?: string;
  /** Seed of every fresh card (and of the host challenges). Default 0. */
  seed?: number;
  /** Keys for a card that is not ours (pcsc, replay); a fresh card's own keyset otherwise. */
  keys?: HostKeys;
  /** Also run paths that lock or terminate the card, or change content the suite did not create, on a card that is not fresh. */
  destructive?: boolean;
  /** Builds each path's card (fresh lanes). Default: createCard with the path's start life cycle. */
  cardFactory?: (o: { seed: number; lifeCycle: number; path: ConformPath }) => Card;
  /** A lane of the caller's instead of `reader` (e.g. `oneCardLane` over a reader of its own). */
  lane?: ConformLane;
  /** Plants something on each fresh card before its path runs (a DispatchOverride, a fault). */
  plant?: (card: Card, path: ConformPath) => void;
  onStart?: (paths: number) => void;
  onResult?: (result: ScenarioResult) => void;
}

export interface Coverage {
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

export interface ConformReport {
  results: ScenarioResult[];
  coverage: Coverage;
  durationMs: number;
  /** Why the suite could not run here at all (reader unavailable), when it could not. */
  skipReason?: string;
}

/** `states 107/107, transitions 149/149`. */
export function formatCoverage(c: Coverage): string {
  return `states ${c.states.covered}/${c.states.total}, transitions ${c.transitions.covered}/${c.transitions.total}`;
}

const LIFE_CYCLE_NAMES: Record<number, 'OP_READY' | 'INITIALIZED' | 'SECURED' | 'CARD_LOCKED' | 'TERMINATED'> = {
  [CARD_LIFE_CYCLE.OP_READY]: 'OP_READY',
  [CARD_LIFE_CYCLE.INITIALIZED]: 'INITIALIZED',
  [CARD_LIFE_CYCLE.SECURED]: 'SECURED',
  [CARD_LIFE_CYCLE.CARD_LOCKED]: 'CARD_LOCKED',
  [CARD_LIFE_CYCLE.TERMINATED]: 'TERMINATED',
};

/** A path that would leave a card that is not ours locked or terminated. */
function isDestructive(path: ConformPath): boolean {
  return path.steps.some((s) => s.type === 'lifeCycle.set' && (s.to === CARD_LIFE_CYCLE.CARD_LOCKED || s.to === CARD_LIFE_CYCLE.TERMINATED));
}

class PathFailure extends Error {
  constructor(message: string, readonly context: StepResult['context']) {
    super(message);
  }
}

/** SELECT, INITIALIZE UPDATE, GET RESPONSE and MANAGE CHANNEL go plain inside a session (AMD-D 5.6: they end, restart or serve it). */
const PLAIN_IN_SESSION = new Set([0xa4, 0x50, 0xc0, 0x70]);

/**
 * Runs one path on `reader`: every step's status word against the model's, the card's machine state
 * against the model's after each step (when the card is in this process), the refusals of the state
 * reached, then the read-back of life cycle and registry.
 */
async function runPath(w: ConformWorld, path: ConformPath, index: number, reader: Reader, card: Card | undefined, powerVisible: boolean, keys: HostKeys, seed: number, giveBack: boolean): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  const sessions = new Map<Channel, Scp03HostSession>();
  let state: ConformState = initialState(path.startLifeCycle, w.isdAid);
  let stepIndex = 0;
  let title = '';
  const where = () => `path "${path.name}", step ${stepIndex} "${title}"`;
  const transmit = async (bytes: Uint8Array, expected: number | number[], secured: boolean, channel: Channel): Promise<Uint8Array> => {
    const session = sessions.get(channel);
    const sent = secured && session ? session.wrap(bytes) : bytes;
    const r = await reader.transmit(sent);
    const sw = swOf(r);
    const want = Array.isArray(expected) ? expected : [expected];
    const context = { command: toHex(sent), response: toHex(r), notes: [`expected SW ${want.map(swHex).join(' or ')} (${want.map(swMeaning).join(' / ')})`] };
    steps.push({ index: stepIndex, kind: 'apdu', name: title, line: undefined, status: 'passed', durationMs: 0, context });
    if (!want.includes(sw)) {
      throw new PathFailure(`${where()}: sent ${toHex(sent)}, expected SW ${want.map(swHex).join(' or ')} (${want.map(swMeaning).join(' / ')}), got ${swHex(sw)} (${swMeaning(sw)})`, context);
    }
    return r.subarray(0, r.length - 2);
  };
  const checkMachine = () => {
    if (!card) return;
    // Through PC/SC a power-off is the daemon's to carry out (pcscd may power the card again at once): the host cannot see it.
    if (!powerVisible && !state.card.hasTag('powered')) return;
    const actual = JSON.stringify(card.state);
    const predicted = JSON.stringify(state.card.hasTag('powered') ? state.card.value : 'off');
    if (actual !== predicted && !(actual === '"off"' && predicted === '"off"')) {
      throw new PathFailure(`${where()}: the card's state is ${actual}; the model predicts ${predicted}`, { notes: ['card machine state differs from the model'] });
    }
  };
  const openSession = async (n: Channel) => {
    const host = new Scp03HostSession({ keys, kvn: keys.kvn, random: seededRandom(`${seed}:${index}:${stepIndex}:${n}`) });
    sessions.set(n, host);
    return host;
  };

  for (const step of path.steps) {
    stepIndex++;
    title = stepTitle(step);
    const effect = stepEffect(w, state, step);
    if (!effect) throw new PathFailure(`${where()}: the model does not offer this step here (a planning error)`, {});
    const sent = stepCommand(w, state, step);
    const channel: Channel = 'channel' in step ? (step.type === 'channel.open' ? step.from : step.type === 'channel.close' ? 0 : step.channel) : 0;
    if (sent.kind === 'power') {
      if (sent.what === 'on') await reader.powerOn();
      else if (sent.what === 'off') await reader.powerOff();
      else await reader.reset();
      steps.push({ index: stepIndex, kind: 'apdu', name: title, line: undefined, status: 'passed', durationMs: 0 });
      sessions.clear();
    } else if (sent.kind === 'initialize-update') {
      const host = await openSession(channel);
      const data = await transmit(onChannel(host.initializeUpdateCommand(), channel), effect.sw!, false, channel);
      host.processInitializeUpdateResponse(data);
    } else if (sent.kind === 'external-authenticate') {
      const host = sessions.get(channel);
      if (!host) throw new PathFailure(`${where()}: no INITIALIZE UPDATE response to authenticate`, {});
      await transmit(onChannel(host.externalAuthenticateCommand(sent.level), channel), effect.sw!, false, channel);
    } else {
      const n = (sent.bytes[0]! & 0x03) as Channel;
      const secured = channelState(state.card, n).scp === 'authenticated' && !PLAIN_IN_SESSION.has(sent.bytes[1]!);
      await transmit(sent.bytes, effect.sw!, secured, n);
    }
    state = takeStep(w, state, step)!.state;
    for (const n of [0, 1, 2, 3] as const) if (channelState(state.card, n).scp !== 'authenticated' && sent.kind !== 'initialize-update') sessions.delete(n);
    checkMachine();
  }
  for (const neg of path.negatives) {
    stepIndex++;
    title = `refused: ${neg.name}`;
    await transmit(neg.bytes, neg.effect.sw!, neg.secured, neg.channel);
    state = { ...state, card: applyEvents(state.card, neg.effect.events)! };
    checkMachine();
  }
  stepIndex++;
  title = 'read back';
  await readBack(w, {
    send: (what, bytes, sw, secured = false) => {
      title = what;
      return transmit(bytes, sw, secured, 0);
    },
    authenticate: async () => {
      title = 'read back: INITIALIZE UPDATE';
      const host = await openSession(0);
      host.processInitializeUpdateResponse(await transmit(host.initializeUpdateCommand(), 0x9000, false, 0));
      title = 'read back: EXTERNAL AUTHENTICATE';
      await transmit(host.externalAuthenticateCommand(LEVEL), 0x9000, false, 0);
    },
    reset: async () => {
      sessions.clear();
      if (state.card.hasTag('powered')) await reader.reset();
      else await reader.powerOn();
    },
    fail: (message) => {
      throw new PathFailure(`${where()}: ${message}`, {});
    },
  }, state);
  if (giveBack && state.card.hasTag('may.manage')) {
    // A card that is not ours gets back what the path put on it (the read-back left a session on channel 0).
    title = 'give back: DELETE what the path loaded';
    if (state.content.elfs.includes('app')) await transmit(buildDelete(w.material.app.packageAid), SW.SUCCESS, true, 0);
    if (state.content.elfs.includes('lib')) await transmit(buildDelete(w.material.lib.packageAid, { related: true }), SW.SUCCESS, true, 0);
  }
  return steps;
}

/** What the suite walks for cards made like `profileLifeCycle`: the default profile's ISD and ROM packages. */
export function defaultWorld(): ConformWorld {
  const p = resolveProfile({});
  return { isdAid: p.isdAid, material: createLoadMaterial(), loadFileEntries: p.preloaded.length, sequenceCounter: (p.scp03.i & 0x10) !== 0 };
}

let planned: { world: ConformWorld; paths: ConformPath[] } | undefined;
/** The paths for the default card, generated once per process (the walk is deterministic). */
function defaultPlan(): { world: ConformWorld; paths: ConformPath[] } {
  if (!planned) {
    const world = defaultWorld();
    planned = { world, paths: planConformance(world) };
  }
  return planned;
}

/** The paths for a card that is not ours: its ISD, challenge mode and ROM Load Files read from it first (probeWorld). */
async function probedPlan(reader: Reader, keys: HostKeys, seed: number): Promise<{ world: ConformWorld; paths: ConformPath[] }> {
  const world = await probeWorld(reader, keys, createLoadMaterial(), seed);
  return { world, paths: planConformance(world) };
}

/**
 * `cardlab conform`: generates the paths from the card machine (planConformance), runs each on `reader`
 * from a fresh card where the lane gives one, and reports one test case per path and the machine's
 * state and transition coverage by the paths that passed.
 */
export async function runConformance(options: ConformOptions = {}): Promise<ConformReport> {
  const t0 = performance.now();
  const seed = options.seed ?? 0;
  const inventory = machineInventory();
  let lane: ConformLane;
  try {
    lane = options.lane ?? (await openConformLane(options.reader ?? 'sim'));
  } catch (err) {
    if (err instanceof ConformUnavailable) return { results: [], coverage: coverageOf([], inventory), durationMs: performance.now() - t0, skipReason: err.message };
    throw err;
  }
  let plan: { world: ConformWorld; paths: ConformPath[] };
  try {
    plan = lane.kind === 'shared' ? await probedPlan(await lane.readerFor(undefined), options.keys ?? DEFAULT_KEYS, seed) : defaultPlan();
  } catch (err) {
    await lane.close();
    throw err;
  }
  const { world: w, paths } = plan;
  options.onStart?.(paths.length);
  const results: ScenarioResult[] = [];
  const passed: ConformPath[] = [];
  try {
    for (const [index, path] of paths.entries()) {
      const started = performance.now();
      const base = { file: 'conform', name: path.name, tags: [path.feature], seed, trace: [] as TraceEntry[] };
      let skipReason: string | undefined;
      if (lane.kind === 'shared' && path.startLifeCycle !== CARD_LIFE_CYCLE.SECURED) skipReason = `needs a fresh card in ${cardLifeCycleName(path.startLifeCycle)}`;
      if (lane.kind === 'shared' && isDestructive(path) && !options.destructive) skipReason = 'would lock or terminate the card (run with --destructive)';
      if (skipReason) {
        const r: ScenarioResult = { ...base, status: 'skipped', durationMs: 0, steps: [], skipReason };
        results.push(r);
        options.onResult?.(r);
        continue;
      }
      const lifeCycle = LIFE_CYCLE_NAMES[path.startLifeCycle]!;
      const card = lane.kind === 'fresh' ? (options.cardFactory?.({ seed, lifeCycle: path.startLifeCycle, path }) ?? createCard({ seed, profile: { lifeCycle } })) : undefined;
      if (card) options.plant?.(card, path);
      const keys = options.keys ?? (card ? card.keyset() : undefined) ?? DEFAULT_KEYS;
      const reader = withTrace(await lane.readerFor(card), base.trace);
      let r: ScenarioResult;
      try {
        const steps = await runPath(w, path, index, reader, card, lane.spec === 'sim', keys, seed, lane.kind === 'shared');
        r = { ...base, status: 'passed', durationMs: Math.round(performance.now() - started), steps };
        passed.push(path);
      } catch (err) {
        const failure = err instanceof PathFailure ? { message: err.message, context: err.context } : { message: `path "${path.name}": ${(err as Error).message}` };
        r = { ...base, status: err instanceof PathFailure ? 'failed' : 'error', durationMs: Math.round(performance.now() - started), steps: [], failure };
      } finally {
        await reader.close();
      }
      results.push(r);
      options.onResult?.(r);
    }
  } finally {
    await lane.close();
  }
  return { results, coverage: coverageOf(passed, inventory), durationMs: performance.now() - t0 };
}

/** The GP test keys (40 41 … 4F, KVN 30) of a developer's sample card: the default for a card that is not ours. */
const DEFAULT_KEYS: HostKeys = (() => {
  const k = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
  return { kvn: 0x30, enc: k, mac: k, dek: k };
})();

function coverageOf(paths: ConformPath[], inventory: ReturnType<typeof machineInventory>): Coverage {
  const states = new Set(paths.flatMap((p) => [...p.covered.states]));
  const transitions = new Set(paths.flatMap((p) => [...p.covered.transitions]));
  const missingStates = inventory.states.filter((s) => !states.has(s));
  const missingTransitions = inventory.transitions.filter((t) => !transitions.has(t));
  return {
    states: { covered: inventory.states.length - missingStates.length, total: inventory.states.length, missing: missingStates },
    transitions: { covered: inventory.transitions.length - missingTransitions.length, total: inventory.transitions.length, missing: missingTransitions },
  };
}

