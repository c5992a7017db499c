import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { readUint, u24 } from '../../protocol/bytes.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { STORE_KEY, KEYSET_PREFIX } from '../storage-keys.ts';

const MAX_SEQUENCE_COUNTER = 0xffffff;

/** The keyset INITIALIZE UPDATE names: KVN 00 means the card's default, its lowest KVN. */
function findKeyset(card: CardRuntime, kvn: number): { kvn: number; keys: Uint8Array } | undefined {
  const names = card.store.keys(KEYSET_PREFIX);
  const name = kvn === 0 ? names[0] : names.find((n) => n === STORE_KEY.keyset(kvn));
  if (name === undefined) return undefined;
  return { kvn: parseInt(name.slice(KEYSET_PREFIX.length), 16), keys: card.store.get(name)! };
}

/**
 * INITIALIZE UPDATE (AMD-D 7.1.1): starts a Secure Channel Session with keyset P1 (00 = default).
 * With pseudo-random challenges (i b5) the keyset's sequence counter is incremented and persisted
 * before use (AMD-D 6.2.2.1), in one atomic write; at its maximum the card answers 6985. Any previous
 * session is aborted.
 */
export const initializeUpdateHandler: CommandHandler = {
  name: 'INITIALIZE UPDATE',
  ins: INS.INITIALIZE_UPDATE,
  requires: { endsSession: true, cla: 'gp', lifeCycle: 'may.authenticate' },
  handle({ card, apdu }): CardResponse {
    if (apdu.p2 !== 0x00) throw new CardStatusError(SW.INCORRECT_P1P2, 'P2 (key identifier) must be 00');
    if (apdu.data.length !== 8) throw new CardStatusError(SW.WRONG_LENGTH, 'host challenge must be 8 bytes');
    const keyset = findKeyset(card, apdu.p1);
    if (!keyset) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `no keyset with KVN ${apdu.p1.toString(16).toUpperCase()}`);
    const i = card.profile.scp03.i;
    let sequenceCounter = 0;
    if (i & 0x10) {
      const key = STORE_KEY.sequenceCounter(keyset.kvn);
      const current = readUint(card.store.get(key) ?? new Uint8Array(3));
      if (current >= MAX_SEQUENCE_COUNTER) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'sequence counter exhausted');
      sequenceCounter = current + 1;
    }
    // Every check is done: the machine decides (the ISD selected, a life cycle that allows a session), then
    // the counter is persisted before use (AMD-D 6.2.2.1).
    const persists = (i & 0x10) !== 0;
    if (!card.take({ type: 'INITIALIZE_UPDATE', channel: card.channel, persists })) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'a secure channel is opened with the ISD selected');
    // The machine was told of this write with the command's event.
    if (persists) card.writeToldAlready(() => card.store.write(STORE_KEY.sequenceCounter(keyset.kvn), u24(sequenceCounter)));
    const len = keyset.keys.length / 3;
    const data = card.scp.initializeUpdate({
      keys: { enc: keyset.keys.subarray(0, len), mac: keyset.keys.subarray(len, 2 * len), dek: keyset.keys.subarray(2 * len) },
      kvn: keyset.kvn,
      i,
      kdd: card.profile.scp03.kdd,
      hostChallenge: apdu.data,
      sequenceCounter,
      aid: card.selectedAid,
      random: card.random,
    });
    return { data, sw: SW.SUCCESS };
  },
};
