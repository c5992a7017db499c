import { SW } from '../../protocol/apdu/index.ts';
import type { CardRuntime } from '../card-runtime.ts';
import type { Preconditions } from '../dispatch.ts';

/** A precondition that does not hold: the status word and why. */
export interface Unmet {
  sw: number;
  message: string;
}

/**
 * Checks what a handler declared it needs (see Preconditions), in the declared order, on the command's
 * channel. Answers undefined when everything holds.
 */
export function unmetPrecondition(name: string, requires: Preconditions, card: CardRuntime, cla: number, secured: boolean): Unmet | undefined {
  if (requires.endsSession) card.restartSession();
  if (requires.cla === 'gp' && (cla & 0x80) === 0) return { sw: SW.CLA_NOT_SUPPORTED, message: `${name} is a GP command (CLA 8x)` };
  if (requires.cla === 'iso' && (cla & 0x80) !== 0) return { sw: SW.CLA_NOT_SUPPORTED, message: `${name} is an ISO command (CLA 0x)` };
  if (requires.session && !card.hasTag('scp.authenticated')) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED, message: `${name} needs an authenticated secure channel` };
  if (requires.session === 'content') {
    const min = card.profile.contentSecurityLevel;
    if ((card.scp.level & min) !== min || (min !== 0 && !secured)) {
      return { sw: SW.SECURITY_STATUS_NOT_SATISFIED, message: `${name} needs security level ${min.toString(16).padStart(2, '0')}` };
    }
  }
  if (requires.lifeCycle && !card.hasTag(requires.lifeCycle)) {
    return {
      sw: SW.CONDITIONS_NOT_SATISFIED,
      message: requires.lifeCycle === 'may.manage' ? `the card life cycle does not allow ${name}` : `the card life cycle forbids ${name}`,
    };
  }
  return undefined;
}
