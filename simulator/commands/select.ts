import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { equalBytes } from '../../protocol/bytes.ts';
import { APP_SELECTABLE } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';

function startsWith(aid: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > aid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (aid[i] !== prefix[i]) return false;
  return true;
}

/** Selectable AIDs in registry order: the ISD, then applications in the SELECTABLE state (b8 LOCKED excluded). */
function candidates(card: CardRuntime): Uint8Array[] {
  const apps = card.registry
    .applicationRecords()
    .filter((a) => (a.lifeCycle & 0x87) === APP_SELECTABLE)
    .map((a) => a.aid);
  return [card.profile.isdAid, ...apps];
}

/**
 * SELECT by name (GPCS 11.9): P1 = 04, P2 = 00 first/only occurrence or 02 next occurrence (a partial
 * AID matches by prefix, in registry order, after the currently selected application). With no data
 * the ISD is selected. The ISD answers its FCI; an application answers what its applet model's select()
 * does (9000 by default). Selecting ends the secure channel session (AMD-D 5.6). In CARD_LOCKED only the
 * ISD is selectable (6283 warning, GPCS Table 11-83); applications are not (6A81).
 */
export const selectHandler: CommandHandler = {
  name: 'SELECT',
  ins: INS.SELECT,
  readOnly: true,
  requires: { cla: 'iso' },
  handle({ card, apdu }): CardResponse {
    if (apdu.p1 !== 0x04) throw new CardStatusError(SW.INCORRECT_P1P2, 'only selection by DF name (P1 = 04) is supported');
    if (apdu.p2 !== 0x00 && apdu.p2 !== 0x02) throw new CardStatusError(SW.INCORRECT_P1P2, 'P2 must be 00 (first) or 02 (next)');
    if (apdu.data.length > 16) throw new CardStatusError(SW.WRONG_LENGTH, 'an AID has at most 16 bytes');
    // The ISD is the first candidate: SELECT of its AID (or of nothing) for the first occurrence needs no registry walk.
    const isdFirst = apdu.p2 === 0x00 && (apdu.data.length === 0 || equalBytes(apdu.data, card.profile.isdAid));
    const matching = isdFirst || apdu.data.length === 0 ? [card.profile.isdAid] : candidates(card).filter((aid) => startsWith(aid, apdu.data));
    let target = matching[0];
    if (apdu.p2 === 0x02) {
      const current = matching.findIndex((aid) => equalBytes(aid, card.selectedAid));
      target = current < 0 ? matching[0] : matching[current + 1];
    }
    if (!target) throw new CardStatusError(SW.FILE_NOT_FOUND);
    const isIsd = card.registry.isIsd(target);
    const channel = card.channel;
    if (isIsd) {
      // Selecting the ISD again with nothing in progress changes nothing: the hot path sends no event.
      const unchanged = card.hasTag('selected.isd') && card.hasTag('scp.idle') && !card.hasTag('status.paging') && card.pendingLoad === undefined;
      if (!unchanged) card.send({ type: 'SELECT_ISD', channel, aid: target });
    } else {
      const event = { type: 'SELECT_APPLICATION', channel, aid: target } as const;
      if (!card.can(event)) throw new CardStatusError(SW.FUNCTION_NOT_SUPPORTED, 'the card is locked: only the ISD is selectable');
      card.send(event);
    }
    if (isIsd) return { data: card.isdFci, sw: card.hasTag('locked') ? SW.CARD_LOCKED_WARNING : SW.SUCCESS };
    const record = card.registry.applicationRecords().find((a) => equalBytes(a.aid, target));
    const model = record ? card.appletModelFor(record.moduleAid) : undefined;
    return model?.select?.(card.appletContext(target)) ?? { data: new Uint8Array(0), sw: SW.SUCCESS };
  },
};
