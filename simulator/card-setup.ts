import { setup, assign } from 'xstate';
import { CARD_LIFE_CYCLE } from '../protocol/gp/data/index.ts';
import type { PendingLoad } from './content/pending-load.ts';

/** The logical channels the card supports: the basic channel 0 and supplementary channels 1–3 (ISO 7816-4 §5.1.1.2, GPCS 11.7). */
export const CHANNELS = [0, 1, 2, 3] as const;
export type ChannelNumber = (typeof CHANNELS)[number];

/** Where a GET STATUS with P2 "next" continues after a 6310 (GPCS 11.4.2.2). */
export interface StatusCursor {
  p1: number;
  /** The criteria bytes of the first command: a "next" must repeat them. */
  criteria: string;
  /** Index of the first entry not yet returned. */
  next: number;
}

/** ISO 7816-4 §5.3.3 command chaining in progress: the header it started with and the data so far. */
export interface CommandChain {
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array[];
  size: number;
}

/** What one logical channel remembers while it is open (all volatile: gone at power-off, reset or close). */
export interface ChannelContext {
  /** AID of the application selected on this channel. */
  selected: Uint8Array;
  /** Security level of the authenticated secure channel session (AMD-D Table 7-3); 0 otherwise. */
  securityLevel: number;
  /** The load between INSTALL [for load] and its last LOAD block (GPCS 9.3.5). */
  load: PendingLoad | undefined;
  /** ISO command chain being collected. */
  chain: CommandChain | undefined;
  /** GET STATUS continuation after 6310. */
  statusCursor: StatusCursor | undefined;
  /** Response bytes (data ‖ SW) waiting for GET RESPONSE (ISO 7816-4 §5.3.4, 61xx). */
  pending: Uint8Array | undefined;
}

/** What the card machine remembers besides its state: the persisted life cycle and each channel's volatile state. */
export interface CardMachineContext {
  /** Card life cycle byte as last persisted (restored from storage at every power-up). */
  lifeCycle: number;
  /** The ISD's AID: what a channel selects when nothing else is. */
  isdAid: Uint8Array;
  /** Channel 0 to 3; a closed channel's entry is its initial value. */
  channels: readonly ChannelContext[];
}

type OnChannel<T> = T & { channel: ChannelNumber };

/**
 * The card's inputs: power events, decoded commands (one event per protocol step they take) and the
 * persistent store's transaction boundaries. Command events carry the logical channel they arrived on.
 */
export type CardEvent =
  | { type: 'POWER_ON' }
  | { type: 'POWER_OFF' }
  | { type: 'RESET' }
  | { type: 'STORE_RECOVERED'; lifeCycle: number }
  | { type: 'TX_BEGIN' }
  | { type: 'TX_COMMIT' }
  | { type: 'TX_ABORT' }
  /** A single write outside a transaction, atomic on its own (an implicit transaction, opened and committed in one step). */
  | { type: 'TX_ATOMIC' }
  | { type: 'SET_CARD_LIFE_CYCLE'; to: number }
  | OnChannel<{ type: 'MANAGE_CHANNEL_OPEN'; selected: Uint8Array; application: boolean }>
  | OnChannel<{ type: 'MANAGE_CHANNEL_CLOSE' }>
  | OnChannel<{ type: 'SELECT_ISD'; aid: Uint8Array }>
  | OnChannel<{ type: 'SELECT_APPLICATION'; aid: Uint8Array }>
  /** `persists`: the command writes the keyset's sequence counter, atomically, as part of this step (AMD-D 6.2.2.1). */
  | OnChannel<{ type: 'INITIALIZE_UPDATE'; persists?: boolean }>
  | OnChannel<{ type: 'EXTERNAL_AUTHENTICATE'; level: number }>
  | OnChannel<{ type: 'SECURE_CHANNEL_ABORTED' }>
  | OnChannel<{ type: 'INSTALL_FOR_LOAD'; load: PendingLoad }>
  | OnChannel<{ type: 'LOAD_BLOCK'; block: number; last: boolean; data: Uint8Array }>
  | OnChannel<{ type: 'LOAD_ENDED' }>
  | OnChannel<{ type: 'CHAIN_PART'; ins: number; p1: number; p2: number; data: Uint8Array }>
  | OnChannel<{ type: 'CHAIN_LAST' }>
  | OnChannel<{ type: 'CHAIN_BROKEN' }>
  | OnChannel<{ type: 'GET_STATUS_MORE'; cursor: StatusCursor }>
  | OnChannel<{ type: 'GET_STATUS_NEXT'; p1: number; criteria: string; cursor: StatusCursor | undefined }>
  | OnChannel<{ type: 'GET_STATUS_ENDED' }>
  | OnChannel<{ type: 'RESPONSE_PENDING'; bytes: Uint8Array }>
  | OnChannel<{ type: 'GET_RESPONSE'; rest: Uint8Array | undefined }>
  | OnChannel<{ type: 'RESPONSE_DROPPED' }>;

export type CardEventType = CardEvent['type'];

/** Card-wide tags: power, life-cycle permissions and the store's transaction state. */
export type CardTag =
  | 'powered'
  | 'power.off'
  | 'may.select'
  | 'may.manage'
  | 'may.authenticate'
  | 'locked'
  | 'only.get-data'
  | 'store.recovering'
  | 'store.open';

/** Tags of one logical channel's regions, named without the channel prefix. */
export const CHANNEL_TAG_NAMES = [
  'open',
  'selected.isd',
  'selected.application',
  'scp.idle',
  'scp.initiated',
  'scp.authenticated',
  'load.authorised',
  'load.receiving',
  'chain.collecting',
  'status.paging',
  'response.pending',
] as const;
export type ChannelTagName = (typeof CHANNEL_TAG_NAMES)[number];
export type ChannelTag = `ch${ChannelNumber}.${ChannelTagName}`;
export type Tag = CardTag | ChannelTag;

/** `channelTag(1, 'scp.authenticated')` → `'ch1.scp.authenticated'`, precomputed so the hot path builds no string. */
const CHANNEL_TAGS: ReadonlyArray<Readonly<Record<ChannelTagName, ChannelTag>>> = CHANNELS.map(
  (n) => Object.fromEntries(CHANNEL_TAG_NAMES.map((t) => [t, `ch${n}.${t}`])) as Record<ChannelTagName, ChannelTag>,
);
export function channelTag(channel: ChannelNumber, name: ChannelTagName): ChannelTag {
  return CHANNEL_TAGS[channel]![name];
}

const LC = CARD_LIFE_CYCLE;

/** Legal card life-cycle transitions (GPCS 5.1): forward through OP_READY → INITIALIZED → SECURED, SECURED ⇄ CARD_LOCKED, anything → TERMINATED. */
export function isLegalLifeCycleTransition(from: number, to: number): boolean {
  if (from === to) return false;
  if (to === LC.TERMINATED) return from !== LC.TERMINATED;
  const order = [LC.OP_READY, LC.INITIALIZED, LC.SECURED] as number[];
  if (order.includes(from) && order.includes(to)) return order.indexOf(to) > order.indexOf(from);
  if (from === LC.SECURED && to === LC.CARD_LOCKED) return true;
  if (from === LC.CARD_LOCKED && to === LC.SECURED) return true;
  return false;
}

/** A channel as it is when opened or after a reset: the given application selected, nothing in progress. */
export function freshChannel(selected: Uint8Array): ChannelContext {
  return { selected, securityLevel: 0, load: undefined, chain: undefined, statusCursor: undefined, pending: undefined };
}

function channelOf(event: CardEvent): ChannelNumber {
  return 'channel' in event ? event.channel : 0;
}

/** The context with channel `n`'s entry changed. */
function withChannel(context: CardMachineContext, n: ChannelNumber, change: Partial<ChannelContext>): readonly ChannelContext[] {
  const channels = context.channels.slice();
  channels[n] = { ...channels[n]!, ...change };
  return channels;
}

/** Largest ISO command chain the card assembles (bytes of data). */
export const MAX_CHAIN = 4096;

/**
 * Names every guard and action of the card machine (xstate `setup`); card-machine.ts holds only states
 * and transitions. Guards are the questions the card asks before it takes a step.
 */
export const cardSetup = setup({
  types: {
    context: {} as CardMachineContext,
    events: {} as CardEvent,
    input: {} as { lifeCycle: number; isdAid: Uint8Array },
    tags: {} as Tag,
  },
  guards: {
    /** Is this command for logical channel `channel`? */
    onChannel: ({ event }, params: { channel: ChannelNumber }) => channelOf(event) === params.channel,
    /** Does this step write persistent memory itself (one atomic write, told with the command's own event)? */
    persistsWrite: ({ event }) => event.type === 'INITIALIZE_UPDATE' && event.persists === true,
    /** Does MANAGE CHANNEL open the new channel on an application rather than the ISD (GPCS 11.7.2)? */
    opensOnApplication: ({ event }) => event.type === 'MANAGE_CHANNEL_OPEN' && event.application,
    isOpReady: ({ context }) => context.lifeCycle === LC.OP_READY,
    isInitialized: ({ context }) => context.lifeCycle === LC.INITIALIZED,
    isSecured: ({ context }) => context.lifeCycle === LC.SECURED,
    isCardLocked: ({ context }) => context.lifeCycle === LC.CARD_LOCKED,
    /** Is this card life-cycle transition one GPCS 5.1 allows? */
    isLegalTransition: ({ context, event }) => event.type === 'SET_CARD_LIFE_CYCLE' && isLegalLifeCycleTransition(context.lifeCycle, event.to),
    /** Does the life cycle let applications other than the ISD be selected (not CARD_LOCKED, not TERMINATED: GPCS 5.1.1.4–5)? */
    maySelectApplications: ({ context }) => context.lifeCycle !== LC.CARD_LOCKED && context.lifeCycle !== LC.TERMINATED,
    /** Does the card still process commands other than GET DATA (any life cycle but TERMINATED, GPCS 5.1.1.5)? */
    acceptsCommands: ({ context }) => context.lifeCycle !== LC.TERMINATED,
    /** May a supplementary logical channel be opened (not CARD_LOCKED, not TERMINATED; 6A81 otherwise)? */
    mayOpenChannel: ({ context }) => context.lifeCycle !== LC.CARD_LOCKED && context.lifeCycle !== LC.TERMINATED,
    /** May a secure channel be opened (any life cycle but TERMINATED, GPCS 5.1.1.5)? */
    mayOpenSecureChannel: ({ context }) => context.lifeCycle !== LC.TERMINATED,
    /** May card content change (not CARD_LOCKED, not TERMINATED: GPCS 5.1.1)? */
    mayManageContent: ({ context }) => context.lifeCycle !== LC.CARD_LOCKED && context.lifeCycle !== LC.TERMINATED,
    /** Is this LOAD block the next one in sequence (GPCS 11.6.2.2)? */
    isNextBlock: ({ context, event }) => event.type === 'LOAD_BLOCK' && context.channels[event.channel]!.load?.nextBlock === event.block,
    /** Is this the last block (P1 80)? */
    isLastBlock: ({ event }) => event.type === 'LOAD_BLOCK' && event.last,
    /** Does this part continue the chain with the same header and stay within the card's chain buffer (ISO 7816-4 §5.3.3)? */
    continuesChain: ({ context, event }) => {
      if (event.type !== 'CHAIN_PART') return false;
      const chain = context.channels[event.channel]!.chain;
      if (chain && (chain.ins !== event.ins || chain.p1 !== event.p1 || chain.p2 !== event.p2)) return false;
      return (chain?.size ?? 0) + event.data.length <= MAX_CHAIN;
    },
    /** Does this "next" repeat the GET STATUS the cursor belongs to (GPCS 11.4.2.2)? */
    continuesGetStatus: ({ context, event }) => {
      if (event.type !== 'GET_STATUS_NEXT') return false;
      const cursor = context.channels[event.channel]!.statusCursor;
      return cursor !== undefined && cursor.p1 === event.p1 && cursor.criteria === event.criteria;
    },
    /** Does the "next" still leave entries for a further one? */
    hasMoreEntries: ({ event }) => event.type === 'GET_STATUS_NEXT' && event.cursor !== undefined,
    /** Is more response data left after this GET RESPONSE? */
    hasMoreResponse: ({ event }) => event.type === 'GET_RESPONSE' && event.rest !== undefined,
  },
  actions: {
    restoreLifeCycle: assign({ lifeCycle: ({ context, event }) => (event.type === 'STORE_RECOVERED' ? event.lifeCycle : context.lifeCycle) }),
    setLifeCycle: assign({ lifeCycle: ({ context, event }) => (event.type === 'SET_CARD_LIFE_CYCLE' ? event.to : context.lifeCycle) }),
    /** Power-up or reset: every channel back to the ISD selected and nothing in progress. */
    resetChannels: assign({ channels: ({ context }) => CHANNELS.map(() => freshChannel(context.isdAid)) }),
    openChannel: assign({
      channels: ({ context, event }) => (event.type === 'MANAGE_CHANNEL_OPEN' ? withChannel(context, event.channel, freshChannel(event.selected)) : context.channels),
    }),
    closeChannel: assign({ channels: ({ context, event }) => withChannel(context, channelOf(event), freshChannel(context.isdAid)) }),
    select: assign({
      channels: ({ context, event }) =>
        event.type === 'SELECT_ISD' || event.type === 'SELECT_APPLICATION'
          ? withChannel(context, event.channel, { selected: event.aid, securityLevel: 0, load: undefined, statusCursor: undefined })
          : context.channels,
    }),
    setSecurityLevel: assign({
      channels: ({ context, event }) => (event.type === 'EXTERNAL_AUTHENTICATE' ? withChannel(context, event.channel, { securityLevel: event.level }) : context.channels),
    }),
    /** The session ends: its level and any load it authorised are gone (AMD-D 5.6, GPCS 9.3.5). */
    endSession: assign({ channels: ({ context, event }) => withChannel(context, channelOf(event), { securityLevel: 0, load: undefined }) }),
    authoriseLoad: assign({
      channels: ({ context, event }) => (event.type === 'INSTALL_FOR_LOAD' ? withChannel(context, event.channel, { load: event.load }) : context.channels),
    }),
    acceptBlock: assign({
      channels: ({ context, event }) => {
        if (event.type !== 'LOAD_BLOCK') return context.channels;
        const load = context.channels[event.channel]!.load!;
        return withChannel(context, event.channel, {
          load: { ...load, blocks: [...load.blocks, event.data], size: load.size + event.data.length, nextBlock: load.nextBlock + 1 },
        });
      },
    }),
    endLoad: assign({ channels: ({ context, event }) => withChannel(context, channelOf(event), { load: undefined }) }),
    collectChainPart: assign({
      channels: ({ context, event }) => {
        if (event.type !== 'CHAIN_PART') return context.channels;
        const chain = context.channels[event.channel]!.chain;
        return withChannel(context, event.channel, {
          chain: { ins: event.ins, p1: event.p1, p2: event.p2, data: [...(chain?.data ?? []), event.data], size: (chain?.size ?? 0) + event.data.length },
        });
      },
    }),
    endChain: assign({ channels: ({ context, event }) => withChannel(context, channelOf(event), { chain: undefined }) }),
    keepCursor: assign({
      channels: ({ context, event }) => {
        if (event.type === 'GET_STATUS_MORE') return withChannel(context, event.channel, { statusCursor: event.cursor });
        if (event.type === 'GET_STATUS_NEXT') return withChannel(context, event.channel, { statusCursor: event.cursor });
        return context.channels;
      },
    }),
    dropCursor: assign({ channels: ({ context, event }) => withChannel(context, channelOf(event), { statusCursor: undefined }) }),
    keepResponse: assign({
      channels: ({ context, event }) => {
        if (event.type === 'RESPONSE_PENDING') return withChannel(context, event.channel, { pending: event.bytes });
        if (event.type === 'GET_RESPONSE') return withChannel(context, event.channel, { pending: event.rest });
        return context.channels;
      },
    }),
    dropResponse: assign({ channels: ({ context, event }) => withChannel(context, channelOf(event), { pending: undefined }) }),
  },
});

