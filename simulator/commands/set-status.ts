import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import { STORE_KEY } from '../storage-keys.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { encodeApplication, findApplication, storedApplications, type ApplicationRecord } from '../content/content-records.ts';

/** The target of P1 = 40: an application (the ISD changes state with P1 = 80: 6A80; unknown AID 6A88). */
function application(card: CardRuntime, aid: Uint8Array): ApplicationRecord {
  if (card.registry.isIsd(aid)) throw new CardStatusError(SW.INCORRECT_DATA, 'the ISD changes state with P1 = 80');
  const app = findApplication(card.store, aid);
  if (!app) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, 'no such application or Security Domain');
  return app;
}

/**
 * The targets of P1 = 60, "a Security Domain and its associated Applications" (GPCS 11.10.2.1): this card's only
 * Security Domain is the ISD, whose own state is the card life cycle (GPCS 5.1: it moves with P1 = 80 alone), so the
 * applications associated with the ISD change state and the ISD does not. An application is no Security Domain (6A80).
 */
function securityDomainAndApplications(card: CardRuntime, aid: Uint8Array): ApplicationRecord[] {
  if (!card.registry.isIsd(aid)) {
    if (!findApplication(card.store, aid)) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, 'no such Security Domain');
    throw new CardStatusError(SW.INCORRECT_DATA, 'P1 = 60 addresses a Security Domain; this is an application');
  }
  return storedApplications(card.store).filter((app) => card.registry.isIsd(app.associatedSd));
}

/**
 * SET STATUS (GPCS 11.10). P1 = 80 moves the card life cycle to P2 (07 INITIALIZED, 0F SECURED,
 * 7F CARD_LOCKED, FF TERMINATED; 0F from CARD_LOCKED unlocks): the card machine decides which
 * transitions are legal (6985 otherwise, including "to the current state"); an undefined state byte is
 * 6A80; a data field is ignored (GPCS 11.10.2.3). The new state is persisted in one atomic write before the machine
 * moves. P1 = 40 locks an application when P2 b8 is set and unlocks it when b8 is clear, the other bits ignored
 * (GPCS 11.10.2.2): a locked application is not selectable. Unknown AID 6A88. P1 = 60 with the ISD locks or unlocks
 * every application associated with it in one transaction; those already in that state are left alone, and when no
 * application changes the command is refused like a repeated P1 = 40 (6985).
 * Needs an authenticated session.
 */
export const setStatusHandler: CommandHandler = {
  name: 'SET STATUS',
  ins: INS.SET_STATUS,
  requires: { cla: 'gp', session: 'authenticated' },
  handle({ card, apdu }): CardResponse {
    if (apdu.p1 === 0x80) {
      // The data field (GPShell sends the ISD AID) is ignored when P1 = 80 (GPCS 11.10.2.3).
      const to = apdu.p2;
      if (cardLifeCycleName(to) === undefined) throw new CardStatusError(SW.INCORRECT_DATA, `${to.toString(16)} is not a card life cycle state`);
      if (!card.can({ type: 'SET_CARD_LIFE_CYCLE', to })) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `illegal card life cycle transition to ${cardLifeCycleName(to)}`);
      card.store.write(STORE_KEY.LIFE_CYCLE, new Uint8Array([to]));
      card.send({ type: 'SET_CARD_LIFE_CYCLE', to });
      return { data: new Uint8Array(0), sw: SW.SUCCESS };
    }
    if (apdu.p1 === 0x40 || apdu.p1 === 0x60) {
      if (apdu.data.length < 5 || apdu.data.length > 16) throw new CardStatusError(SW.WRONG_LENGTH, 'an AID has 5 to 16 bytes');
      // Only b8 of P2 matters (GPCS 11.10.2.2, Table 11-84): set locks, clear unlocks back to the previous state; the other
      // bits are ignored (GPShell codes LOCKED as 83).
      const lock = (apdu.p2 & 0x80) !== 0;
      const apps = apdu.p1 === 0x60 ? securityDomainAndApplications(card, apdu.data) : [application(card, apdu.data)];
      const changing = apps.filter((app) => ((app.lifeCycle & 0x80) !== 0) !== lock);
      if (changing.length === 0) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `already ${lock ? 'locked' : 'unlocked'}`);
      if (!card.hasTag('may.manage')) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'the card life cycle does not allow changing applications');
      card.store.transaction(() => {
        for (const app of changing) card.store.write(STORE_KEY.app(app.aid), encodeApplication({ ...app, lifeCycle: lock ? app.lifeCycle | 0x80 : app.lifeCycle & 0x7f }));
      });
      return { data: new Uint8Array(0), sw: SW.SUCCESS };
    }
    throw new CardStatusError(SW.INCORRECT_P1P2, 'P1 must be 80, 40 or 60');
  },
};
