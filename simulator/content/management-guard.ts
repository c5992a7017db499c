import { CardStatusError, SW } from '../../protocol/apdu/index.ts';
import type { CommandContext } from '../dispatch.ts';

/**
 * Card content management (INSTALL, LOAD, DELETE) needs an authenticated secure channel whose level
 * covers the ISD's configured minimum (GPCS Table 11-2; e.g. 01 = C-MAC), a GP class byte, and a
 * card life cycle that allows content changes (not CARD_LOCKED, not TERMINATED: GPCS 5.1.1).
 */
export function requireContentManagement({ card, apdu, secured }: CommandContext, command: string): void {
  if ((apdu.cla & 0x80) === 0) throw new CardStatusError(SW.CLA_NOT_SUPPORTED, `${command} is a GP command (CLA 8x)`);
  if (!card.hasTag('scp.authenticated')) throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, `${command} needs an authenticated secure channel`);
  const min = card.profile.contentSecurityLevel;
  if ((card.scp.level & min) !== min || (min !== 0 && !secured)) {
    throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, `${command} needs security level ${min.toString(16).padStart(2, '0')}`);
  }
  if (!card.hasTag('may.manage')) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `the card life cycle does not allow ${command}`);
}
