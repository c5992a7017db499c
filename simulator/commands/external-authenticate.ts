import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';

/**
 * EXTERNAL AUTHENTICATE (AMD-D 7.1.2): `84 82 <level> 00 10 <host cryptogram> <C-MAC>`. Verifies the
 * host cryptogram (6300) and the C-MAC (6982), then the session is authenticated at the level P1 asks
 * for. Any failure ends the session. Its response carries no R-MAC.
 */
export const externalAuthenticateHandler: CommandHandler = {
  name: 'EXTERNAL AUTHENTICATE',
  ins: INS.EXTERNAL_AUTHENTICATE,
  handle({ card, apdu }): CardResponse {
    if (apdu.cla !== 0x84) {
      card.closeSession();
      throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'EXTERNAL AUTHENTICATE is sent with CLA 84');
    }
    card.scp.externalAuthenticate(apdu);
    card.send({ type: 'scp.authenticated', level: card.scp.level });
    return { data: new Uint8Array(0), sw: SW.SUCCESS };
  },
};
