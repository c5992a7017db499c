import { cardSetup } from './card-setup.ts';

/**
 * The card's behaviour as states (XState v5). Three regions run in parallel while the card is powered:
 * - `lifeCycle`: the GP card life cycle (GPCS 5.1), restored from persistent memory at every power-up;
 * - `channel`: the SCP03 secure channel session of the basic logical channel (AMD-D 5.5/5.6);
 * - `selection`: which application is selected (after ATR the ISD, or the application holding Card Reset).
 * Tags answer "may this command run": `may.select`, `may.manage`, `may.authenticate`, `only.get-data`,
 * `scp.authenticated`, … The APDU hot path reads tags from the current snapshot and sends no event
 * for read-only commands.
 */
export const cardMachine = cardSetup.createMachine({
  id: 'card',
  initial: 'off',
  context: ({ input }) => ({ lifeCycle: input.lifeCycle, securityLevel: 0 }),
  states: {
    off: {
      tags: ['power.off'],
      on: { 'power.on': { target: 'on', actions: 'restoreLifeCycle' } },
    },
    on: {
      type: 'parallel',
      tags: ['powered'],
      on: {
        'power.off': { target: 'off', actions: 'clearSecurityLevel' },
        'power.reset': { target: 'on', reenter: true, actions: 'clearSecurityLevel' },
      },
      states: {
        lifeCycle: {
          initial: 'restoring',
          states: {
            restoring: {
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
            'lifecycle.set': { guard: 'isLegalTransition', target: '.restoring', actions: 'setLifeCycle' },
          },
        },
        channel: {
          initial: 'idle',
          states: {
            idle: { tags: ['scp.idle'] },
            initiated: { tags: ['scp.initiated'] },
            authenticated: { tags: ['scp.authenticated'] },
          },
          on: {
            'scp.initiated': { target: '.initiated', actions: 'clearSecurityLevel' },
            'scp.authenticated': { target: '.authenticated', actions: 'setSecurityLevel' },
            'scp.closed': { target: '.idle', actions: 'clearSecurityLevel' },
            // Selecting any application ends the secure channel session (AMD-D 5.6).
            'select.isd': { target: '.idle', actions: 'clearSecurityLevel' },
            'select.application': { target: '.idle', actions: 'clearSecurityLevel' },
          },
        },
        selection: {
          initial: 'isd',
          states: {
            isd: { tags: ['selected.isd'] },
            application: { tags: ['selected.application'] },
          },
          on: {
            'select.isd': '.isd',
            'select.application': '.application',
          },
        },
      },
    },
  },
});
