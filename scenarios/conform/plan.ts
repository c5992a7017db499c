import { getAdjacencyMap, getShortestPaths, getSimplePaths, getStateNodes } from 'xstate/graph';
import { cardMachine } from '../../simulator/index.ts';
import { applyEvents, conformLogic, initialState, serializeConformState, stateKey, transitionKey, type ConformState, type Covered, type StateKey, type TransitionKey } from './conform-model.ts';
import { stepEffect, stepTitle, type ConformWorld, type HostStep, type StepEffect } from './host-steps.ts';
import { negativeSteps, type NegativeStep } from './negative-steps.ts';
import { conformFeatures, type Feature } from './features.ts';

/** One generated test case: a fresh card, the steps from power-up, then the refusals of the state reached. */
export interface ConformPath {
  name: string;
  feature: string;
  startLifeCycle: number;
  steps: HostStep[];
  negatives: NegativeStep[];
  covered: { states: Set<StateKey>; transitions: Set<TransitionKey> };
}

/** The state nodes and transitions of the card machine, counted from its definition. */
export interface MachineInventory {
  states: StateKey[];
  transitions: TransitionKey[];
}

/** Every state node (root excluded) and every transition — (source, event, guarded branch) and each `always` branch — of the card machine. */
export function machineInventory(): MachineInventory {
  const states: StateKey[] = [];
  const transitions: TransitionKey[] = [];
  for (const node of getStateNodes(cardMachine.root)) {
    states.push(stateKey(node));
    for (const defs of node.transitions.values()) for (const t of defs) transitions.push(transitionKey(t as never));
    for (const t of node.always ?? []) transitions.push(transitionKey(t as never));
  }
  return { states, transitions };
}

/** One host step applied to the model: the next state and the effect, or undefined where the step is not offered. */
export function takeStep(w: ConformWorld, s: ConformState, step: HostStep, covered?: Covered): { state: ConformState; effect: StepEffect } | undefined {
  const effect = stepEffect(w, s, step);
  if (!effect) return undefined;
  const card = applyEvents(s.card, effect.events, covered);
  if (!card) return undefined;
  return { state: { card, content: effect.content ?? s.content }, effect };
}

/** A graph path's events without the traversal's own start event (`xstate.init`). */
function hostSteps(steps: Array<{ event: HostStep }>): HostStep[] {
  return steps.map((x) => x.event).filter((e) => !e.type.startsWith('xstate.'));
}

function walkFrom(w: ConformWorld, f: Feature): { start: ConformState; candidates: HostStep[][] } {
  const start = initialState(f.startLifeCycle, w.isdAid);
  let s = start;
  for (const step of f.prefix) {
    const next = takeStep(w, s, step);
    if (!next) throw new Error(`feature ${f.name}: prefix step ${stepTitle(step)} is not legal in the model`);
    s = next.state;
  }
  const logic = conformLogic<HostStep>(s, (state, step) => takeStep(w, state, step)?.state);
  const snapshot = logic.getInitialSnapshot(undefined as never, undefined);
  const options = {
    fromState: snapshot,
    events: (snap: typeof snapshot) => f.steps.filter((step) => takeStep(w, snap.context, step) !== undefined),
    serializeState: (snap: typeof snapshot) => serializeConformState(snap.context),
    limit: 20_000,
  };
  const shortest = getShortestPaths(logic, options);
  const toState = new Map<string, HostStep[]>();
  for (const p of shortest) toState.set(serializeConformState(p.state.context), hostSteps(p.steps));
  // Every edge of the walked graph: the shortest path to its source, then the edge's step.
  const candidates: HostStep[][] = [...toState.values()];
  const adjacency = getAdjacencyMap(logic, options);
  for (const entry of Object.values(adjacency)) {
    const head = toState.get(serializeConformState(entry.state.context));
    if (!head) continue;
    for (const t of Object.values(entry.transitions) as Array<{ event: HostStep }>) candidates.push([...head, t.event]);
  }
  if (f.simplePaths) for (const p of getSimplePaths(logic, options)) candidates.push(hostSteps(p.steps));
  return { start, candidates };
}

/** Replays a path on the model from `start`: what it covers and the state it ends in. */
function replay(w: ConformWorld, start: ConformState, steps: HostStep[]): { end: ConformState; covered: Covered } {
  const covered: Covered = { states: [], transitions: [] };
  let s = start;
  for (const step of steps) {
    const next = takeStep(w, s, step, covered);
    if (!next) throw new Error(`step ${stepTitle(step)} is not legal where the path takes it`);
    s = next.state;
  }
  return { end: s, covered };
}

/** The refusals tried at the end of a path, one of each kind, each in the state the previous one left. */
export function refusalsAt(w: ConformWorld, state: ConformState): { negatives: NegativeStep[]; end: ConformState } {
  const negatives: NegativeStep[] = [];
  const done = new Set<string>();
  let s = state;
  for (;;) {
    const next = negativeSteps(w, s).find((n) => !done.has(n.name));
    if (!next) return { negatives, end: s };
    done.add(next.name);
    if (next.refused && s.card.can(next.refused)) throw new Error(`${next.name}: the machine accepts ${next.refused.type}; not a refusal`);
    const card = applyEvents(s.card, next.effect.events);
    if (!card) throw new Error(`${next.name}: the machine refuses what the refusal itself causes`);
    negatives.push(next);
    s = { ...s, card };
  }
}

/**
 * The suite: for every feature, the shortest path to each state and to each edge of its walk (and, for
 * small features, every simple path) — then a greedy set cover keeps the fewest paths that cover every
 * state node, transition and kind of refusal (per channel) any of them covers. Each path ends with the refusals of the state it reached.
 */
export function planConformance(w: ConformWorld, features: Feature[] = conformFeatures()): ConformPath[] {
  interface Candidate { feature: Feature; start: ConformState; steps: HostStep[]; items: Set<string> }
  const all: Candidate[] = [];
  for (const f of features) {
    const { start, candidates } = walkFrom(w, f);
    const seen = new Set<string>();
    for (const tail of candidates) {
      const steps = [...f.prefix, ...tail];
      const key = JSON.stringify(tail);
      if (seen.has(key)) continue;
      seen.add(key);
      const { covered, end } = replay(w, start, steps);
      // The refusals its end state offers count too, so every kind of refusal is tried on every channel.
      const refusals = refusalsAt(w, end).negatives.map((n) => `R ${n.name}`);
      all.push({ feature: f, start, steps, items: new Set([...covered.states.map((x) => `S ${x}`), ...covered.transitions.map((x) => `T ${x}`), ...refusals]) });
    }
  }
  const uncovered = new Set(all.flatMap((c) => [...c.items]));
  const chosen: Candidate[] = [];
  while (uncovered.size > 0) {
    let best: Candidate | undefined;
    let gain = 0;
    for (const c of all) {
      let g = 0;
      for (const i of c.items) if (uncovered.has(i)) g++;
      if (g > gain || (g === gain && g > 0 && best && c.steps.length < best.steps.length)) {
        best = c;
        gain = g;
      }
    }
    if (!best) break;
    for (const i of best.items) uncovered.delete(i);
    chosen.push(best);
  }
  const counts = new Map<string, number>();
  return chosen.map((c) => {
    const n = (counts.get(c.feature.name) ?? 0) + 1;
    counts.set(c.feature.name, n);
    const { end, covered } = replay(w, c.start, c.steps);
    const { negatives } = refusalsAt(w, end);
    return {
      name: `${c.feature.name} #${n}: ${c.steps.slice(c.feature.prefix.length).map(stepTitle).join(', ') || 'prefix only'}`,
      feature: c.feature.name,
      startLifeCycle: c.feature.startLifeCycle,
      steps: c.steps,
      negatives,
      covered: { states: new Set(covered.states), transitions: new Set(covered.transitions) },
    };
  });
}
