import { fromTransition, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { cardMachine, type CardEvent } from '../../simulator/index.ts';
import { toHex } from '../../protocol/bytes.ts';

/** A snapshot of the card machine, as the model predicts it. */
export type CardSnapshot = SnapshotFrom<typeof cardMachine>;
export type Channel = 0 | 1 | 2 | 3;
export const CHANNELS: readonly Channel[] = [0, 1, 2, 3];

/**
 * What the host knows of the card's persistent content besides the machine: the Load Files and
 * instances this run put there (the machine holds no registry; GET STATUS reads it back).
 */
export interface ContentModel {
  readonly elfs: readonly LoadFileName[];
  readonly apps: readonly InstanceName[];
}
export type LoadFileName = 'lib' | 'app';
export type InstanceName = 'loyalty';

/** The conformance model's state: the card machine's snapshot and the content the host put on the card. */
export interface ConformState {
  readonly card: CardSnapshot;
  readonly content: ContentModel;
}

/** A machine transition: (source state node, event, guarded branch), or an eventless `always` branch. */
export type TransitionKey = string;
/** A state node by its path (`on.channel1.open.content.receiving`). */
export type StateKey = string;

/** What one host step covered of the machine. */
export interface Covered {
  states: StateKey[];
  transitions: TransitionKey[];
}

export function stateKey(node: { path: readonly string[] }): StateKey {
  return node.path.join('.');
}

interface TransitionLike {
  source: { path: readonly string[]; transitions: ReadonlyMap<string, readonly unknown[]>; always?: readonly unknown[] };
  eventType: string;
}

/** `on.channel0.open.secureChannel|INITIALIZE_UPDATE|0`: the source node, the event and the branch's index in the node's list. */
export function transitionKey(t: TransitionLike): TransitionKey {
  if (t.eventType === '') return `${stateKey(t.source)}|always|${t.source.always!.indexOf(t)}`;
  return `${stateKey(t.source)}|${t.eventType}|${t.source.transitions.get(t.eventType)!.indexOf(t)}`;
}

/** The machine at power-off, with the persisted life cycle `lifeCycle` and the ISD `isdAid`. */
export function initialState(lifeCycle: number, isdAid: Uint8Array): ConformState {
  const [card] = initialTransition(cardMachine, { lifeCycle, isdAid });
  return { card, content: { elfs: [], apps: [] } };
}

/**
 * Applies the machine events a host step causes, in order, with the machine's own guards: undefined
 * when the machine refuses one of them (the step is not legal there). Records which state nodes and
 * transitions (eventless `always` branches included) were taken.
 */
export function applyEvents(card: CardSnapshot, events: readonly CardEvent[], covered?: Covered): CardSnapshot | undefined {
  let s = card;
  for (const event of events) {
    if (!s.can(event)) return undefined;
    if (covered) for (const t of cardMachine.getTransitionData(s, event)) covered.transitions.push(transitionKey(t as unknown as TransitionLike));
    const lifeCycleBefore = (s.value as { on?: { lifeCycle?: string } }).on?.lifeCycle;
    s = transition(cardMachine, s, event)[0];
    if (covered) {
      for (const node of s._nodes) covered.states.push(stateKey(node));
      // A life-cycle change passes through `deciding`, whose `always` branch picks the state (GPCS 5.1).
      const lifeCycleAfter = (s.value as { on?: { lifeCycle?: string } }).on?.lifeCycle;
      if (event.type === 'STORE_RECOVERED' || (event.type === 'SET_CARD_LIFE_CYCLE' && lifeCycleAfter !== lifeCycleBefore) || (event.type === 'RESET' && lifeCycleAfter)) {
        const deciding = cardMachine.root.states.on!.states.lifeCycle!.states.deciding!;
        covered.states.push(stateKey(deciding));
        const branch = deciding.always!.find((t) => t.target?.[0]?.key === lifeCycleAfter);
        if (branch && event.type !== 'RESET') covered.transitions.push(transitionKey(branch as unknown as TransitionLike));
      }
    }
  }
  return s;
}

/** The card machine's active state for one channel: which of its regions are where. */
export function channelState(card: CardSnapshot, n: Channel): { open: boolean; isd: boolean; scp: 'idle' | 'initiated' | 'authenticated'; loading: boolean; collecting: boolean; paging: boolean; pending: boolean } {
  const has = (t: string) => card.hasTag(`ch${n}.${t}` as never);
  return {
    open: has('open'),
    isd: has('selected.isd'),
    scp: has('scp.authenticated') ? 'authenticated' : has('scp.initiated') ? 'initiated' : 'idle',
    loading: has('load.authorised') || has('load.receiving'),
    collecting: has('chain.collecting'),
    paging: has('status.paging'),
    pending: has('response.pending'),
  };
}

/** The state as the traversal tells states apart: the machine's value, the context that decides guards, the content. */
export function serializeConformState(s: ConformState): string {
  const ctx = s.card.context;
  const channels = ctx.channels.map((c) => [c.load ? `${toHex(c.load.loadFileAid)}@${c.load.nextBlock}` : '', c.chain?.size ?? '', c.statusCursor?.next ?? '', c.pending?.length ?? '', c.securityLevel, toHex(c.selected)].join(','));
  return JSON.stringify([s.card.value, ctx.lifeCycle, channels, s.content.elfs, s.content.apps]);
}

/** The host-step logic xstate/graph walks: the card machine under the events each host step causes. */
export function conformLogic<Step extends { type: string }>(start: ConformState, step: (s: ConformState, e: Step) => ConformState | undefined) {
  return fromTransition((s: ConformState, e: Step) => step(s, e) ?? s, start);
}
