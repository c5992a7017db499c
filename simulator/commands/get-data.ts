import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { buildTlv, parseTlv, TAG, TlvError } from '../../protocol/tlv/index.ts';
import {
  buildCardData,
  buildKeyInformationTemplate,
  buildCardResources,
  scp03KeysetInformation,
  KEY_TYPE,
  type KeyInformation,
} from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { STORE_KEY, KEYSET_PREFIX } from '../storage-keys.ts';
import { APPLICATION_PRIVILEGES } from '../content/privileges.ts';

/** The value (without tag and length) of each data object the ISD answers, or undefined when it has none. */
function dataObjectValue(card: CardRuntime, tag: number): Uint8Array | undefined {
  switch (tag) {
    case 0x9f7f: return card.store.get(STORE_KEY.CPLC);
    case 0x0042: return card.store.get(STORE_KEY.IIN);
    case 0x0045: return card.store.get(STORE_KEY.CIN);
    case 0x0066: return valueOf(buildCardData({ gpVersion: card.profile.gpVersion, scp: 0x03, i: card.profile.scp03.i }));
    case 0x00e0: return valueOf(keyInformation(card));
    case 0x0067: return valueOf(cardCapabilities(card));
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

/** Tags whose value is an object of persistent memory itself (dataObjectValue returns the stored array). */
const STORED_VALUE_TAGS = new Set([0x9f7f, 0x0042, 0x0045, 0x00c1, 0x00c2, 0x7f21]);
/** The whole TLV of a stored value, by that value: the store replaces, never changes, an array it holds. */
const WHOLE_TLVS = new WeakMap<Uint8Array, { tag: number; tlv: Uint8Array }>();

/**
 * The whole TLV (tag, length, value) of a data object. One kept in persistent memory as it is answered
 * (the CPLC above all) is built once per stored value rather than per command, a third of GET DATA's
 * cost: a write of the object stores a new array, so a changed value is never answered from the cache.
 * Like the value itself in the ISO form, the result is shared: the card copies it into the R-APDU.
 */
function wholeTlv(tag: number, value: Uint8Array): Uint8Array {
  if (!STORED_VALUE_TAGS.has(tag)) return buildTlv(tag, value);
  const cached = WHOLE_TLVS.get(value);
  if (cached?.tag === tag) return cached.tlv;
  const tlv = buildTlv(tag, value);
  WHOLE_TLVS.set(value, { tag, tlv });
  return tlv;
}

/** The value of a single TLV. */
function valueOf(tlv: Uint8Array): Uint8Array {
  return parseTlv(tlv)[0]!.value;
}

/** KVNs by convention (reference §3.5, GPP `GPKeyInfo`): 71 receipt generation, 73 DAP verification. */
const RECEIPT_KVN = 0x71;
const DAP_KVN = 0x73;
const ECC = [{ type: KEY_TYPE.ECC_PARAMETER_REFERENCE, length: 1 }];

/**
 * The Key Information Template: the SCP03 keysets, then — as reference §9.4 asks of a card whose
 * confirmations are signed — the receipt key (KVN 71: the card's ECC private key, or an AES key), and the
 * DAP verification key the ISD holds (KVN 73).
 */
function keyInformation(card: CardRuntime): Uint8Array {
  const infos: KeyInformation[] = card.store.keys(KEYSET_PREFIX).flatMap((key) => {
    const kvn = parseInt(key.slice(KEYSET_PREFIX.length), 16);
    const keyLength = card.store.get(key)!.length / 3;
    return scp03KeysetInformation(kvn, keyLength);
  });
  const receipts = card.profile.receipts;
  if (receipts.type === 'ecdsa') infos.push({ keyId: 1, kvn: RECEIPT_KVN, components: [{ type: KEY_TYPE.ECC_PRIVATE, length: 32 }, ...ECC] });
  if (receipts.type === 'aes') infos.push({ keyId: 1, kvn: RECEIPT_KVN, components: [{ type: KEY_TYPE.AES, length: receipts.key.length }] });
  const dap = card.profile.dap?.key;
  if (dap?.type === 'ecdsa') infos.push({ keyId: 1, kvn: DAP_KVN, components: [{ type: KEY_TYPE.ECC_PUBLIC, length: dap.publicKey.length }, ...ECC] });
  if (dap?.type === 'aes') infos.push({ keyId: 1, kvn: DAP_KVN, components: [{ type: KEY_TYPE.AES, length: dap.key.length }] });
  if (dap?.type === 'rsa') {
    infos.push({ keyId: 1, kvn: DAP_KVN, components: [{ type: KEY_TYPE.RSA_MODULUS, length: dap.modulus.length }, { type: KEY_TYPE.RSA_PUBLIC_EXPONENT, length: dap.exponent.length }] });
  }
  return buildKeyInformationTemplate(infos);
}

/** Signature-suite bitmaps (GPCS Tables H-9/H-10, reference §3.6): 08/10/20 AES-CMAC 128/192/256, 40 ECDSA P-256. */
function suite(key: { type: 'aes'; length: number } | { type: 'ecdsa' } | { type: 'rsa'; bits: number }): Uint8Array {
  if (key.type === 'aes') return Uint8Array.of(key.length === 16 ? 0x08 : key.length === 24 ? 0x10 : 0x20, 0x00);
  if (key.type === 'rsa') return Uint8Array.of(key.bits > 1024 ? 0x02 : 0x01, 0x00);
  return Uint8Array.of(0x40, 0x00);
}

/**
 * Card Capability Information, tag 67 (GPCS H.4, reference §3.6): SCP03 with its `i` and AES key sizes,
 * no privileges assignable to SSDs, Card Reset the only one assignable to applications (INSTALL refuses the
 * others), LFDB hashes SHA-1 and SHA-256, and the
 * receipt and DAP signature suites the card uses.
 */
function cardCapabilities(card: CardRuntime): Uint8Array {
  const sizes = new Set(card.store.keys(KEYSET_PREFIX).map((k) => card.store.get(k)!.length / 3));
  const aes = (sizes.has(16) ? 0x01 : 0) | (sizes.has(24) ? 0x02 : 0) | (sizes.has(32) ? 0x04 : 0);
  const parts = [
    buildTlv(0xa0, [buildTlv(0x80, Uint8Array.of(0x03)), buildTlv(0x81, Uint8Array.of(card.profile.scp03.i)), buildTlv(0x82, Uint8Array.of(aes))]),
    buildTlv(0x81, new Uint8Array(3)),
    buildTlv(0x82, APPLICATION_PRIVILEGES),
    buildTlv(0x83, Uint8Array.of(0x01, 0x02)),
  ];
  const r = card.profile.receipts;
  if (r.type !== 'none') parts.push(buildTlv(0x86, suite(r.type === 'aes' ? { type: 'aes', length: r.key.length } : { type: 'ecdsa' })));
  const dap = card.profile.dap?.key;
  if (dap) parts.push(buildTlv(0x87, suite(dap.type === 'aes' ? { type: 'aes', length: dap.key.length } : dap.type === 'rsa' ? { type: 'rsa', bits: dap.modulus.length * 8 } : { type: 'ecdsa' })));
  return buildTlv(0x67, parts);
}

/**
 * Command data of GET DATA: only '2F00' (List of Applications) takes one, a tag list `5C <tags>` (GPCS 11.3.2.3;
 * GPShell sends `5C 00`), which is 6A80 when it is not exactly one 5C TLV. Any other object takes none (6700).
 */
function requireTagList(tag: number, data: Uint8Array): void {
  if (tag !== TAG.LIST_OF_APPLICATIONS) throw new CardStatusError(SW.WRONG_LENGTH, 'GET DATA takes no command data for these tags');
  let list;
  try {
    list = parseTlv(data);
  } catch (err) {
    if (err instanceof TlvError) throw new CardStatusError(SW.INCORRECT_DATA, `the tag list is not BER-TLV: ${err.message}`);
    throw err;
  }
  if (list.length !== 1 || list[0]!.tag !== TAG.TAG_LIST) throw new CardStatusError(SW.INCORRECT_DATA, 'the command data of 2F00 is one tag list (5C)');
}

/**
 * GET DATA (GPCS 11.3): P1-P2 is the tag. CLA 80 answers the whole TLV, CLA 00 only the value
 * (reference §3.1). Unknown tags answer 6A88, '2F00' too, with or without its tag list. Allowed in every life cycle
 * state, even TERMINATED.
 */
export const getDataHandler: CommandHandler = {
  name: 'GET DATA',
  ins: INS.GET_DATA,
  readOnly: true,
  handle({ card, apdu }): CardResponse {
    const tag = (apdu.p1 << 8) | apdu.p2;
    if (apdu.data.length !== 0) requireTagList(tag, apdu.data);
    const value = dataObjectValue(card, tag);
    if (value === undefined) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `no data object ${tag.toString(16).toUpperCase()}`);
    const isoForm = (apdu.cla & 0x80) === 0;
    return { data: isoForm ? value : wholeTlv(tag, value), sw: SW.SUCCESS };
  },
};
