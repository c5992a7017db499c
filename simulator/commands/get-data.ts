import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { buildTlv, parseTlv } from '../../protocol/tlv/index.ts';
import {
  buildCardData,
  buildKeyInformationTemplate,
  buildCardResources,
  scp03KeysetInformation,
} from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { STORE_KEY, KEYSET_PREFIX } from '../storage-keys.ts';

/** The value (without tag and length) of each data object the ISD answers, or undefined when it has none. */
function dataObjectValue(card: CardRuntime, tag: number): Uint8Array | undefined {
  switch (tag) {
    case 0x9f7f: return card.store.get(STORE_KEY.CPLC);
    case 0x0042: return card.store.get(STORE_KEY.IIN);
    case 0x0045: return card.store.get(STORE_KEY.CIN);
    case 0x0066: return valueOf(buildCardData({ gpVersion: card.profile.gpVersion, scp: 0x03, i: card.profile.scp03.i }));
    case 0x00e0: return valueOf(keyInformation(card));
    case 0xff21:
      return valueOf(
        buildCardResources({
          installedApplications: card.registry.installedApplicationCount(),
          freeNonVolatileMemory: card.store.freeBytes(),
          freeVolatileMemory: card.freeTransientMemory(),
        }),
      );
    case 0x00c1: {
      // Sequence counter of the default keyset: only with pseudo-random challenges (i b5, GPCS 11.3.3.1).
      if ((card.profile.scp03.i & 0x10) === 0) return undefined;
      const first = card.store.keys(KEYSET_PREFIX)[0];
      return first === undefined ? undefined : card.store.get(STORE_KEY.sequenceCounter(parseInt(first.slice(KEYSET_PREFIX.length), 16)));
    }
    case 0x00cf: return card.profile.scp03.kdd;
    case 0x00c2: return card.profile.receipts.type === 'none' ? undefined : card.store.get(STORE_KEY.CONFIRMATION_COUNTER);
    // The card certificate (GPCS F.4.3 shape: 7F21 LL <certificate>), issued by the card issuer's CA.
    case 0x7f21: return card.store.get(STORE_KEY.CARD_CERTIFICATE);
    case 0x00d3: return new Uint8Array([card.hasTag('scp.authenticated') ? card.scp.level : 0]);
    default: return undefined;
  }
}

/** The value of a single TLV. */
function valueOf(tlv: Uint8Array): Uint8Array {
  return parseTlv(tlv)[0]!.value;
}

function keyInformation(card: CardRuntime): Uint8Array {
  const infos = card.store.keys(KEYSET_PREFIX).flatMap((key) => {
    const kvn = parseInt(key.slice(KEYSET_PREFIX.length), 16);
    const keyLength = card.store.get(key)!.length / 3;
    return scp03KeysetInformation(kvn, keyLength);
  });
  return buildKeyInformationTemplate(infos);
}

/**
 * GET DATA (GPCS 11.3): P1-P2 is the tag. CLA 80 answers the whole TLV, CLA 00 only the value
 * (reference §3.1). Unknown tags answer 6A88. Allowed in every life cycle state, even TERMINATED.
 */
export const getDataHandler: CommandHandler = {
  name: 'GET DATA',
  ins: INS.GET_DATA,
  readOnly: true,
  handle({ card, apdu }): CardResponse {
    if (apdu.data.length !== 0) throw new CardStatusError(SW.WRONG_LENGTH, 'GET DATA takes no command data for these tags');
    const tag = (apdu.p1 << 8) | apdu.p2;
    const value = dataObjectValue(card, tag);
    if (value === undefined) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `no data object ${tag.toString(16).toUpperCase()}`);
    const isoForm = (apdu.cla & 0x80) === 0;
    return { data: isoForm ? value : buildTlv(tag, value), sw: SW.SUCCESS };
  },
};
