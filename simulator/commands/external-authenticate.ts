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
    // CLA 84 on the basic channel, 85–87 on channels 1–3 (GPCS 11.1.4).
    if ((apdu.cla & 0xfc) !== 0x84) {
      card.closeSession();
      throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'EXTERNAL AUTHENTICATE is sent with CLA 84');
    }
    // Only a session INITIALIZE UPDATE started on this channel can be authenticated (6985 otherwise).
    if (!card.can({ type: 'EXTERNAL_AUTHENTICATE', channel: card.channel, level: apdu.p1 })) {
      card.closeSession();
      throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE without a preceding INITIALIZE UPDATE');
    }
    card.scp.externalAuthenticate(apdu);
    card.send({ type: 'EXTERNAL_AUTHENTICATE', channel: card.channel, level: card.scp.level });
    return { data: new Uint8Array(0), sw: SW.SUCCESS };
  },
};
