import { and, stateIn } from 'xstate';
import { cardSetup, channelTag, type ChannelNumber } from './card-setup.ts';

/** Guard: is this command for channel `n`? (Every per-channel transition asks it first.) */
const on = (n: ChannelNumber) => ({ type: 'onChannel', params: { channel: n } }) as const;
/** Guard: is the ISD selected on channel `n`? */
const isdSelected = (n: ChannelNumber) => stateIn(`#ch${n}-isd`);
/** Guard: is channel `n`'s secure channel session authenticated? */
const authenticated = (n: ChannelNumber) => stateIn(`#ch${n}-authenticated`);

/**
 * One logical channel (ISO 7816-4 §5.1.1.2, GPCS 11.7): closed, or open with six regions —
 * - `selection`: the ISD or an application (SELECT [by name], GPCS 11.9);
 * - `secureChannel`: the SCP03 session on this channel, idle → initiated → authenticated (AMD-D 5.5/5.6),
 *   back to idle on SELECT, a security error, a new INITIALIZE UPDATE or the channel's end;
 * - `content`: a load, from INSTALL [for load] through LOAD blocks 00, 01, … to the last (GPCS 9.3.5, 11.6);
 * - `chaining`: an ISO command chain being collected (ISO 7816-4 §5.3.3);
 * - `getStatus`: GET STATUS paging after 6310 (GPCS 11.4.2.2);
 * - `response`: response bytes waiting for GET RESPONSE (ISO 7816-4 §5.3.4).
 * The basic channel is always open; channels 1–3 open and close with MANAGE CHANNEL.
 */
function channelRegion(n: ChannelNumber) {
  const tag = (name: Parameters<typeof channelTag>[1]) => channelTag(n, name);
  const ends = { guard: and([on(n), 'acceptsCommands']), target: '.idle' } as const;
  /** INITIALIZE UPDATE opens a session on this channel: the ISD selected, a life cycle that allows it. */
  const opens = and([on(n), 'mayOpenSecureChannel', isdSelected(n)]);
  const closed = {
    on: {
      MANAGE_CHANNEL_OPEN: [
        { guard: and([on(n), 'mayOpenChannel', 'opensOnApplication']), target: `#ch${n}-application`, actions: 'openChannel' as const },
        { guard: and([on(n), 'mayOpenChannel']), target: 'open', actions: 'openChannel' as const },
      ],
    },
  };
  return {
    initial: n === 0 ? ('open' as const) : ('closed' as const),
    states: {
      // The basic channel is never closed (ISO 7816-4 §5.1.1.2): it has no `closed` state.
      ...(n === 0 ? {} : { closed }),
      open: {
        type: 'parallel' as const,
        tags: [tag('open')],
        on: n === 0 ? {} : { MANAGE_CHANNEL_CLOSE: { guard: and([on(n), 'acceptsCommands']), target: 'closed', actions: 'closeChannel' as const } },
        states: {
          selection: {
            initial: 'isd' as const,
            states: {
              isd: { id: `ch${n}-isd`, tags: [tag('selected.isd')] },
              application: { id: `ch${n}-application`, tags: [tag('selected.application')] },
            },
            on: {
              SELECT_ISD: { guard: and([on(n), 'acceptsCommands']), target: '.isd', actions: 'select' as const },
              SELECT_APPLICATION: { guard: and([on(n), 'maySelectApplications']), target: '.application', actions: 'select' as const },
            },
          },
          secureChannel: {
            initial: 'idle' as const,
            states: {
              idle: { tags: [tag('scp.idle')], on: { INITIALIZE_UPDATE: { guard: opens, target: 'initiated' } } },
              initiated: {
                tags: [tag('scp.initiated')],
                on: {
                  EXTERNAL_AUTHENTICATE: { guard: on(n), target: 'authenticated', actions: 'setSecurityLevel' as const },
                  // A new INITIALIZE UPDATE starts over (AMD-D 7.1.1).
                  INITIALIZE_UPDATE: { guard: opens, target: 'initiated' },
                },
              },
              authenticated: {
                id: `ch${n}-authenticated`,
                tags: [tag('scp.authenticated')],
                // INITIALIZE UPDATE ends the authenticated session and starts a new one.
                on: { INITIALIZE_UPDATE: { guard: opens, target: 'initiated', actions: 'endSession' as const } },
              },
            },
            on: {
              SECURE_CHANNEL_ABORTED: { guard: on(n), target: '.idle', actions: 'endSession' as const },
              SELECT_ISD: ends,
              SELECT_APPLICATION: { guard: and([on(n), 'maySelectApplications']), target: '.idle' },
            },
          },
          content: {
            initial: 'idle' as const,
            states: {
              idle: {},
              loadAuthorised: {
                tags: [tag('load.authorised')],
                on: {
                  // A new session ends the load its predecessor authorised (GPCS 9.3.5).
                  INITIALIZE_UPDATE: { guard: opens, target: 'idle' },
                  LOAD_BLOCK: [
                    { guard: and([on(n), 'isNextBlock', 'isLastBlock']), target: 'idle', actions: 'endLoad' as const },
                    { guard: and([on(n), 'isNextBlock']), target: 'receiving', actions: 'acceptBlock' as const },
                  ],
                },
              },
              receiving: {
                tags: [tag('load.receiving')],
                on: {
                  INITIALIZE_UPDATE: { guard: opens, target: 'idle' },
                  LOAD_BLOCK: [
                    { guard: and([on(n), 'isNextBlock', 'isLastBlock']), target: 'idle', actions: 'endLoad' as const },
                    { guard: and([on(n), 'isNextBlock']), target: 'receiving', actions: 'acceptBlock' as const },
                  ],
                },
              },
            },
            on: {
              INSTALL_FOR_LOAD: { guard: and([on(n), 'mayManageContent', authenticated(n), isdSelected(n)]), target: '.loadAuthorised', actions: 'authoriseLoad' as const },
              LOAD_ENDED: { guard: on(n), target: '.idle', actions: 'endLoad' as const },
              SECURE_CHANNEL_ABORTED: ends,
              SELECT_ISD: ends,
              SELECT_APPLICATION: { guard: and([on(n), 'maySelectApplications']), target: '.idle' },
            },
          },
          chaining: {
            initial: 'idle' as const,
            states: {
              idle: {
                on: { CHAIN_PART: { guard: and([on(n), 'acceptsCommands', 'continuesChain']), target: 'collecting', actions: 'collectChainPart' as const } },
              },
              collecting: {
                tags: [tag('chain.collecting')],
                on: {
                  CHAIN_PART: { guard: and([on(n), 'continuesChain']), target: 'collecting', actions: 'collectChainPart' as const },
                  CHAIN_LAST: { guard: on(n), target: 'idle', actions: 'endChain' as const },
                  CHAIN_BROKEN: { guard: on(n), target: 'idle', actions: 'endChain' as const },
                },
              },
            },
          },
          getStatus: {
            initial: 'idle' as const,
            states: {
              idle: {},
              paging: {
                tags: [tag('status.paging')],
                on: {
                  GET_STATUS_NEXT: [
                    { guard: and([on(n), 'continuesGetStatus', 'hasMoreEntries']), target: 'paging', actions: 'keepCursor' as const },
                    { guard: and([on(n), 'continuesGetStatus']), target: 'idle', actions: 'dropCursor' as const },
                  ],
                },
              },
            },
            on: {
              GET_STATUS_MORE: { guard: on(n), target: '.paging', actions: 'keepCursor' as const },
              GET_STATUS_ENDED: { guard: on(n), target: '.idle', actions: 'dropCursor' as const },
              SELECT_ISD: ends,
              SELECT_APPLICATION: { guard: and([on(n), 'maySelectApplications']), target: '.idle' },
            },
          },
          response: {
            initial: 'none' as const,
            states: {
              none: {},
              pending: {
                tags: [tag('response.pending')],
                on: {
                  GET_RESPONSE: [
                    { guard: and([on(n), 'hasMoreResponse']), target: 'pending', actions: 'keepResponse' as const },
                    { guard: on(n), target: 'none', actions: 'dropResponse' as const },
                  ],
                },
              },
            },
            on: {
              RESPONSE_PENDING: { guard: on(n), target: '.pending', actions: 'keepResponse' as const },
              RESPONSE_DROPPED: { guard: on(n), target: '.none', actions: 'dropResponse' as const },
            },
          },
        },
      },
    },
  };
}

/**
 * The card's behaviour as states (XState v5): the one source of truth for what the card may do next.
 * Events are the card's inputs (power, decoded commands, store transaction boundaries); guards are the
 * questions that decide whether a step is legal. Command handlers do the byte work (parsing, crypto,
 * responses), ask the machine with `can(event)` and tell it with `send(event)`. While powered, regions
 * run in parallel:
 * - `store`: the persistent store, recovering at power-up (an interrupted transaction rolled back), then
 *   idle → open → committed / rolled back for each transaction;
 * - `lifeCycle`: the GP card life cycle (GPCS 5.1), restored from persistent memory once the store has
 *   recovered, at every power-up and reset;
 * - `channel0` … `channel3`: the logical channels (see channelRegion).
 * Tags answer "may this command run" (`may.manage`, `ch0.scp.authenticated`, …) and are typed: a
 * misspelt tag does not compile. The APDU hot path reads tags from the current snapshot and sends no
 * event for read-only commands.
 */
export const cardMachine = cardSetup.createMachine({
  id: 'card',
  initial: 'off',
  context: ({ input }) => ({
    lifeCycle: input.lifeCycle,
    isdAid: input.isdAid,
    channels: [0, 1, 2, 3].map(() => ({ selected: input.isdAid, securityLevel: 0, load: undefined, chain: undefined, statusCursor: undefined, pending: undefined })),
  }),
  states: {
    off: {
      tags: ['power.off'],
      on: { POWER_ON: { target: 'on', actions: 'resetChannels' } },
    },
    on: {
      type: 'parallel',
      tags: ['powered'],
      on: {
        POWER_OFF: { target: 'off', actions: 'resetChannels' },
        RESET: { target: 'on', reenter: true, actions: 'resetChannels' },
      },
      states: {
        store: {
          initial: 'recovering',
          // A write outside a transaction (TX_ATOMIC) opens and commits in one step: the store has committed.
          // INITIALIZE UPDATE's counter write comes with the command's own event and leaves the region where it is.
          states: {
            recovering: { tags: ['store.recovering'], on: { STORE_RECOVERED: 'idle' } },
            idle: { on: { TX_BEGIN: 'open', INITIALIZE_UPDATE: { guard: 'persistsWrite', target: 'idle' } } },
            open: { tags: ['store.open'], on: { TX_COMMIT: 'committed', TX_ABORT: 'rolledBack' } },
            committed: { on: { TX_BEGIN: 'open', INITIALIZE_UPDATE: { guard: 'persistsWrite', target: 'committed' } } },
            rolledBack: { on: { TX_BEGIN: 'open', INITIALIZE_UPDATE: { guard: 'persistsWrite', target: 'rolledBack' } } },
          },
          on: { TX_ATOMIC: '.committed' },
        },
        lifeCycle: {
          initial: 'restoring',
          states: {
            // Until the store has recovered, the persisted life cycle is not known.
            restoring: { on: { STORE_RECOVERED: { target: 'deciding', actions: 'restoreLifeCycle' } } },
            deciding: {
              always: [
                { guard: 'isOpReady', target: 'OP_READY' },
                { guard: 'isInitialized', target: 'INITIALIZED' },
                { guard: 'isSecured', target: 'SECURED' },
                { guard: 'isCardLocked', target: 'CARD_LOCKED' },
                { target: 'TERMINATED' },
              ],
            },
            OP_READY: { tags: ['may.select', 'may.manage', 'may.authenticate'] },
            INITIALIZED: { tags: ['may.select', 'may.manage', 'may.authenticate'] },
            SECURED: { tags: ['may.select', 'may.manage', 'may.authenticate'] },
            // Only the ISD (Final Application) is selectable; no content changes (GPCS 5.1.1.4).
            CARD_LOCKED: { tags: ['may.authenticate', 'locked'] },
            // Only GET DATA on the Final-Application SD (GPCS 5.1.1.5).
            TERMINATED: { tags: ['only.get-data'] },
          },
          on: {
            SET_CARD_LIFE_CYCLE: { guard: 'isLegalTransition', target: '.deciding', actions: 'setLifeCycle' },
          },
        },
        channel0: channelRegion(0),
        channel1: channelRegion(1),
        channel2: channelRegion(2),
        channel3: channelRegion(3),
      },
    },
  },
});
