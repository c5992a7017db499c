import { setup, assign } from 'xstate';
import { CARD_LIFE_CYCLE } from '../protocol/gp/data/index.ts';

/** What the card machine remembers besides its state: the persisted life cycle and the session level. */
export interface CardMachineContext {
  /** Card life cycle byte as last persisted (restored from storage at every power-up). */
  lifeCycle: number;
  /** Security level of the authenticated secure channel session (AMD-D Table 7-3). */
  securityLevel: number;
}

export type CardEvent =
  | { type: 'power.on'; lifeCycle: number }
  | { type: 'power.off' }
  | { type: 'power.reset' }
  | { type: 'lifecycle.set'; to: number }
  | { type: 'scp.initiated' }
  | { type: 'scp.authenticated'; level: number }
  | { type: 'scp.closed' }
  | { type: 'select.isd' }
  | { type: 'select.application' };

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

/**
 * Names every guard and action of the card machine (xstate `setup`); card-machine.ts holds only states
 * and transitions.
 */
export const cardSetup = setup({
  types: {
    context: {} as CardMachineContext,
    events: {} as CardEvent,
    input: {} as { lifeCycle: number },
  },
  guards: {
    isOpReady: ({ context }) => context.lifeCycle === LC.OP_READY,
    isInitialized: ({ context }) => context.lifeCycle === LC.INITIALIZED,
    isSecured: ({ context }) => context.lifeCycle === LC.SECURED,
    isCardLocked: ({ context }) => context.lifeCycle === LC.CARD_LOCKED,
    isLegalTransition: ({ context, event }) => event.type === 'lifecycle.set' && isLegalLifeCycleTransition(context.lifeCycle, event.to),
  },
  actions: {
    restoreLifeCycle: assign({ lifeCycle: ({ context, event }) => (event.type === 'power.on' ? event.lifeCycle : context.lifeCycle) }),
    setLifeCycle: assign({ lifeCycle: ({ context, event }) => (event.type === 'lifecycle.set' ? event.to : context.lifeCycle) }),
    setSecurityLevel: assign({ securityLevel: ({ context, event }) => (event.type === 'scp.authenticated' ? event.level : context.securityLevel) }),
    clearSecurityLevel: assign({ securityLevel: 0 }),
  },
});
