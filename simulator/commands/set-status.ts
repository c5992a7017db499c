import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import { STORE_KEY } from '../storage-keys.ts';

/**
 * SET STATUS (GPCS 11.10). P1 = 80 moves the card life cycle to P2 (07 INITIALIZED, 0F SECURED,
 * 7F CARD_LOCKED, FF TERMINATED; 0F from CARD_LOCKED unlocks): the card machine decides which
 * transitions are legal (6985 otherwise, including "to the current state"); an undefined state byte is
 * 6A80. The new state is persisted in one atomic write before the machine moves. Applications and
 * SSDs (P1 40/60) are looked up in the registry (6A88 when absent). Needs an authenticated session.
 */
export const setStatusHandler: CommandHandler = {
  name: 'SET STATUS',
  ins: INS.SET_STATUS,
  handle({ card, apdu }): CardResponse {
    if ((apdu.cla & 0x80) === 0) throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'SET STATUS is a GP command (CLA 8x)');
    if (!card.hasTag('scp.authenticated')) throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, 'SET STATUS needs an authenticated secure channel');
    if (apdu.p1 === 0x80) {
      if (apdu.data.length !== 0) throw new CardStatusError(SW.WRONG_LENGTH, 'SET STATUS of the card takes no data');
      const to = apdu.p2;
      if (cardLifeCycleName(to) === undefined) throw new CardStatusError(SW.INCORRECT_DATA, `${to.toString(16)} is not a card life cycle state`);
      if (!card.can({ type: 'lifecycle.set', to })) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `illegal card life cycle transition to ${cardLifeCycleName(to)}`);
      card.store.write(STORE_KEY.LIFE_CYCLE, new Uint8Array([to]));
      card.send({ type: 'lifecycle.set', to });
      return { data: new Uint8Array(0), sw: SW.SUCCESS };
    }
    if (apdu.p1 === 0x40 || apdu.p1 === 0x60) {
      if (apdu.data.length < 5 || apdu.data.length > 16) throw new CardStatusError(SW.WRONG_LENGTH, 'an AID has 5 to 16 bytes');
      if (card.registry.isIsd(apdu.data)) throw new CardStatusError(SW.INCORRECT_DATA, 'the ISD changes state with P1 = 80');
      throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, 'no such application or Security Domain');
    }
    throw new CardStatusError(SW.INCORRECT_P1P2, 'P1 must be 80, 40 or 60');
  },
};
