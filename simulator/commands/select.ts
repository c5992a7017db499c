import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';

/**
 * SELECT by name (GPCS 11.9): P1 = 04, P2 = 00 first/only occurrence or 02 next occurrence (a partial
 * AID matches by prefix). With no data the default application, the ISD, is selected. Answers the
 * selected SD's FCI. Selecting ends the secure channel session (AMD-D 5.6).
 */
export const selectHandler: CommandHandler = {
  name: 'SELECT',
  ins: INS.SELECT,
  readOnly: true,
  handle({ card, apdu }): CardResponse {
    if ((apdu.cla & 0x80) !== 0) throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'SELECT is an ISO command (CLA 0x)');
    if (apdu.p1 !== 0x04) throw new CardStatusError(SW.INCORRECT_P1P2, 'only selection by DF name (P1 = 04) is supported');
    if (apdu.p2 !== 0x00 && apdu.p2 !== 0x02) throw new CardStatusError(SW.INCORRECT_P1P2, 'P2 must be 00 (first) or 02 (next)');
    if (apdu.data.length > 16) throw new CardStatusError(SW.WRONG_LENGTH, 'an AID has at most 16 bytes');
    // Only the ISD is selectable until applications are installed; the registry answers prefix matches.
    const isd = card.profile.isdAid;
    const prefix = apdu.data;
    const matchesIsd = prefix.length <= isd.length && prefix.every((b, i) => isd[i] === b);
    const next = apdu.p2 === 0x02;
    const alreadyIsd = card.hasTag('selected.isd');
    // "Next occurrence" moves past the currently selected match; the ISD is the only candidate.
    if (!matchesIsd || (next && alreadyIsd && prefix.length > 0)) throw new CardStatusError(SW.FILE_NOT_FOUND);
    if (!card.hasTag('scp.idle') || !alreadyIsd) {
      card.scp.reset();
      card.send({ type: 'select.isd' });
    }
    card.selectedAid = isd;
    card.statusCursor = undefined;
    return { data: card.isdFci, sw: card.hasTag('locked') ? SW.CARD_LOCKED_WARNING : SW.SUCCESS };
  },
};
