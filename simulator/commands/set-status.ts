import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import { STORE_KEY } from '../storage-keys.ts';
import { encodeApplication, findApplication } from '../content/content-records.ts';

/**
 * SET STATUS (GPCS 11.10). P1 = 80 moves the card life cycle to P2 (07 INITIALIZED, 0F SECURED,
 * 7F CARD_LOCKED, FF TERMINATED; 0F from CARD_LOCKED unlocks): the card machine decides which
 * transitions are legal (6985 otherwise, including "to the current state"); an undefined state byte is
 * 6A80; a data field is ignored (GPCS 11.10.2.3). The new state is persisted in one atomic write before the machine
 * moves. P1 = 40 locks an application when P2 b8 is set and unlocks it when b8 is clear, the other bits ignored
 * (GPCS 11.10.2.2): a locked application is not selectable. Unknown AID 6A88.
 * Needs an authenticated session.
 */
export const setStatusHandler: CommandHandler = {
  name: 'SET STATUS',
  ins: INS.SET_STATUS,
  handle({ card, apdu }): CardResponse {
    if ((apdu.cla & 0x80) === 0) throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'SET STATUS is a GP command (CLA 8x)');
    if (!card.hasTag('scp.authenticated')) throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, 'SET STATUS needs an authenticated secure channel');
    if (apdu.p1 === 0x80) {
      // The data field (GPShell sends the ISD AID) is ignored when P1 = 80 (GPCS 11.10.2.3).
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
      const app = findApplication(card.store, apdu.data);
      if (!app) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, 'no such application or Security Domain');
      if (apdu.p1 === 0x60) throw new CardStatusError(SW.INCORRECT_DATA, 'P1 = 60 addresses a Security Domain; this is an application');
      // Only b8 of P2 matters (GPCS 11.10.2.2, Table 11-84): set locks, clear unlocks back to the previous state; the other
      // bits are ignored (GPShell codes LOCKED as 83). The same state again is refused.
      const lock = (apdu.p2 & 0x80) !== 0;
      const locked = (app.lifeCycle & 0x80) !== 0;
      if (locked === lock) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `the application is already ${locked ? 'locked' : 'unlocked'}`);
      if (!card.hasTag('may.manage')) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'the card life cycle does not allow changing applications');
      card.store.write(STORE_KEY.app(app.aid), encodeApplication({ ...app, lifeCycle: locked ? app.lifeCycle & 0x7f : app.lifeCycle | 0x80 }));
      return { data: new Uint8Array(0), sw: SW.SUCCESS };
    }
    throw new CardStatusError(SW.INCORRECT_P1P2, 'P1 must be 80, 40 or 60');
  },
};
