import { SW, INS, isSecureMessagingClass, type CommandApdu } from '../../protocol/apdu/index.ts';
import { Scp03Error } from '../../protocol/gp/scp03/index.ts';
import type { CardRuntime } from '../card-runtime.ts';

/** Commands a session at level > 00 accepts without secure messaging: they end or restart the session, or fetch a response. */
const SESSION_EXEMPT = new Set<number>([INS.SELECT, INS.INITIALIZE_UPDATE, INS.GET_RESPONSE, INS.MANAGE_CHANNEL]);

export type GateResult = { plain: CommandApdu; secured: boolean; sw?: undefined } | { sw: number };

/**
 * The secure channel in front of the handlers, on the command's channel (AMD-D 5.6, 7.1.2): inside an
 * authenticated session a command must carry secure messaging at the session's level (unwrapped here)
 * unless it ends or restarts the session; any failure ends the session. Outside a session a
 * secure-messaging class byte is refused (6982); a command other than EXTERNAL AUTHENTICATE after
 * INITIALIZE UPDATE ends the half-open session.
 */
export function secureMessagingGate(card: CardRuntime, apdu: CommandApdu): GateResult {
  const sm = isSecureMessagingClass(apdu.cla);
  if (card.hasTag('scp.authenticated')) {
    const level = card.scp.level;
    if (apdu.ins === INS.EXTERNAL_AUTHENTICATE) {
      // Not part of the running session: no preceding INITIALIZE UPDATE (6985), and the session ends.
      card.closeSession();
      return { sw: SW.CONDITIONS_NOT_SATISFIED };
    }
    if (sm && level !== 0) {
      try {
        return { plain: card.scp.unwrap(apdu), secured: true };
      } catch (err) {
        if (!(err instanceof Scp03Error)) throw err;
        card.closeSession();
        return { sw: err.sw };
      }
    }
    if (sm || (level !== 0 && !SESSION_EXEMPT.has(apdu.ins))) {
      card.closeSession();
      return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    }
  } else if (card.hasTag('scp.initiated')) {
    // Anything but EXTERNAL AUTHENTICATE ends the half-open session; a plain INITIALIZE UPDATE restarts it itself (restartSession).
    if (apdu.ins !== INS.EXTERNAL_AUTHENTICATE) {
      if (sm || apdu.ins !== INS.INITIALIZE_UPDATE) card.closeSession();
      if (sm) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    }
  } else if (sm && apdu.ins !== INS.EXTERNAL_AUTHENTICATE) {
    return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
  }
  return { plain: apdu, secured: false };
}
