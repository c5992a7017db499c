import { withTrace, type Reader, type TraceEntry } from '../../reader-bridge/index.ts';
import { createCard, resolveProfile, type Card } from '../../simulator/index.ts';
import { CARD_LIFE_CYCLE, cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import type { ScenarioResult } from '../run-scenario.ts';
import type { ConformWorld } from './host-steps.ts';
import { createLoadMaterial } from './load-material.ts';
import { machineInventory, planConformance, type ConformPath } from './plan.ts';
import { openConformLane, ConformUnavailable, type ConformLane } from './conform-readers.ts';
import { probeWorld } from './probe-world.ts';
import { PathFailure, PathRun, type HostKeys } from './path-runner.ts';

export type { HostKeys } from './path-runner.ts';

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
        const steps = await new PathRun({ world: w, path, index, reader, card, powerVisible: lane.spec === 'sim', keys, seed, giveBack: lane.kind === 'shared' }).run();
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

