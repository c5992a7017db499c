import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import { CHANNELS, channelTag, type ChannelNumber } from '../card-setup.ts';
import type { CardRuntime } from '../card-runtime.ts';

const P1_OPEN = 0x00;
const P1_CLOSE = 0x80;
const NO_DATA = new Uint8Array(0);

function isOpen(card: CardRuntime, n: ChannelNumber): boolean {
  return card.hasTag(channelTag(n, 'open'));
}

/**
 * MANAGE CHANNEL (ISO 7816-4 §11.1.2, GPCS 11.7): opens and closes the supplementary logical channels
 * 1–3. `00 70 00 00 01` opens the lowest closed channel and answers its number; `00 70 00 0n` opens
 * channel n (no data; 6A86 when it is open or not supported). The new channel selects what its origin
 * channel has selected, or the ISD when the origin is the basic channel (GPCS 11.7.2; no application on
 * this card carries an implicit-selection parameter for a supplementary channel). `00 70 80 0n` closes
 * channel n (6A86 for the basic channel, 6200 when it is already closed), ending its secure channel
 * session. None free: 6A81; a card in CARD_LOCKED opens none (6A81); secure messaging is not supported
 * (6882). Commands on a closed channel answer 6881 (before any handler runs).
 */
export const manageChannelHandler: CommandHandler = {
  name: 'MANAGE CHANNEL',
  ins: INS.MANAGE_CHANNEL,
  requires: { cla: 'iso' },
  handle({ card, apdu, secured }): CardResponse {
    if (secured || (apdu.cla & 0x0c) !== 0) throw new CardStatusError(SW.SECURE_MESSAGING_NOT_SUPPORTED, 'MANAGE CHANNEL is sent without secure messaging');
    if (apdu.data.length !== 0) throw new CardStatusError(SW.WRONG_LENGTH, 'MANAGE CHANNEL has no data field');
    if (apdu.p1 === P1_OPEN) {
      let target: ChannelNumber | undefined;
      if (apdu.p2 === 0x00) {
        target = CHANNELS.find((n) => n !== 0 && !isOpen(card, n));
        if (target === undefined) throw new CardStatusError(SW.FUNCTION_NOT_SUPPORTED, 'every supplementary logical channel is open');
      } else {
        if (apdu.p2 > 3) throw new CardStatusError(SW.INCORRECT_P1P2, `channel ${apdu.p2} is not supported (1–3)`);
        target = apdu.p2 as ChannelNumber;
        if (isOpen(card, target)) throw new CardStatusError(SW.INCORRECT_P1P2, `channel ${target} is already open`);
      }
      const selected = card.channel === 0 ? card.profile.isdAid : card.selectedAid;
      const open = { type: 'MANAGE_CHANNEL_OPEN', channel: target, selected, application: !card.registry.isIsd(selected) } as const;
      if (!card.can(open)) throw new CardStatusError(SW.FUNCTION_NOT_SUPPORTED, 'no supplementary channel opens in this card life cycle');
      card.send(open);
      return { data: apdu.p2 === 0x00 ? Uint8Array.of(target) : NO_DATA, sw: SW.SUCCESS };
    }
    if (apdu.p1 === P1_CLOSE) {
      if (apdu.p2 === 0x00 || apdu.p2 > 3) throw new CardStatusError(SW.INCORRECT_P1P2, apdu.p2 === 0 ? 'the basic channel cannot be closed' : `channel ${apdu.p2} is not supported (1–3)`);
      const target = apdu.p2 as ChannelNumber;
      if (!isOpen(card, target)) return { data: NO_DATA, sw: SW.CHANNEL_CLOSED };
      card.send({ type: 'MANAGE_CHANNEL_CLOSE', channel: target });
      return { data: NO_DATA, sw: SW.SUCCESS };
    }
    throw new CardStatusError(SW.INCORRECT_P1P2, 'P1 must be 00 (open) or 80 (close)');
  },
};
