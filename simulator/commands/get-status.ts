import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { parseTlv, TlvError } from '../../protocol/tlv/index.ts';
import { concat, toHex } from '../../protocol/bytes.ts';
import {
  STATUS_SUBSET,
  defaultStatusTags,
  buildRegistryEntry,
  buildLegacyRegistryEntry,
  type RegistryEntry,
} from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import type { CardRuntime, StatusCursor } from '../card-runtime.ts';

/** Bytes a response may hold before 6310: 256, less room for R-MAC (8) and R-ENC padding (16). */
const RESPONSE_BUDGET = 256;
const SECURE_MESSAGING_RESERVE = 24;

interface Criteria {
  aidPrefix: Uint8Array;
  tags: number[] | undefined;
}

/**
 * Parses the search criteria: `4F <prefix>` (mandatory) and `5C <tag list>`. Other criteria (9F70, C5, …) are ignored, as
 * GPCS 11.4.2.3 lets a card ignore the criteria it does not support; data that is not BER-TLV, lacks 4F or repeats 4F
 * or 5C is 6A80.
 */
function parseCriteria(data: Uint8Array): Criteria {
  let list;
  try {
    list = parseTlv(data);
  } catch (err) {
    if (err instanceof TlvError) throw new CardStatusError(SW.INCORRECT_DATA, `search criteria are not BER-TLV: ${err.message}`);
    throw err;
  }
  let aidPrefix: Uint8Array | undefined;
  let tags: number[] | undefined;
  for (const t of list) {
    if ((t.tag === 0x4f && aidPrefix !== undefined) || (t.tag === 0x5c && tags !== undefined)) {
      throw new CardStatusError(SW.INCORRECT_DATA, `search criterion ${t.tag.toString(16).toUpperCase()} given twice`);
    }
    if (t.tag === 0x4f) aidPrefix = t.value;
    else if (t.tag === 0x5c) tags = parseTagList(t.value);
  }
  if (aidPrefix === undefined) throw new CardStatusError(SW.INCORRECT_DATA, 'search criteria must contain tag 4F');
  if (aidPrefix.length > 16) throw new CardStatusError(SW.INCORRECT_DATA, 'AID criterion longer than 16 bytes');
  return { aidPrefix, tags };
}

/** A 5C tag list: one- and two-byte tags concatenated (a first byte with b5-b1 all set announces a second byte). */
function parseTagList(bytes: Uint8Array): number[] {
  const tags: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b & 0x1f) === 0x1f) {
      const second = bytes[++i];
      if (second === undefined) throw new CardStatusError(SW.INCORRECT_DATA, 'truncated tag in tag list');
      tags.push((b << 8) | second);
    } else tags.push(b);
  }
  return tags;
}

function entriesFor(card: CardRuntime, p1: number): RegistryEntry[] {
  switch (p1) {
    case STATUS_SUBSET.ISD: return [card.registry.isd()];
    case STATUS_SUBSET.APPLICATIONS: return card.registry.applications();
    case STATUS_SUBSET.LOAD_FILES: return card.registry.loadFiles().map(({ modules: _m, ...rest }) => rest);
    case STATUS_SUBSET.LOAD_FILES_AND_MODULES: return card.registry.loadFiles();
    default: throw new CardStatusError(SW.INCORRECT_P1P2, 'P1 must be 80, 40, 20 or 10');
  }
}

/**
 * GET STATUS (GPCS 11.4): registry entries of one subset matching an AID prefix, in the TLV format
 * (P2 02, next 03) or the deprecated GP 2.1.1 format (P2 00, next 01). When the entries do not fit one
 * response the card answers 6310 and continues on the "next" command (GPCS 11.4.2.2). Needs an
 * authenticated secure channel (GPCS Table 11-2).
 */
export const getStatusHandler: CommandHandler = {
  name: 'GET STATUS',
  ins: INS.GET_STATUS,
  requires: { cla: 'gp', session: 'authenticated' },
  handle({ card, apdu, secured }): CardResponse {
    const legacy = (apdu.p2 & 0xfe) === 0x00;
    if (!legacy && (apdu.p2 & 0xfe) !== 0x02) throw new CardStatusError(SW.INCORRECT_P1P2, 'P2 must be 00, 01, 02 or 03');
    const next = (apdu.p2 & 0x01) === 0x01;
    if (next && apdu.p1 === STATUS_SUBSET.ISD) throw new CardStatusError(SW.INCORRECT_P1P2, '"get next" is not defined for the ISD');
    const criteria = parseCriteria(apdu.data);
    // For the ISD subset the search criteria are ignored (GPCS 11.4.2.1, reference §5.1).
    const all = entriesFor(card, apdu.p1).filter((e) => apdu.p1 === STATUS_SUBSET.ISD || startsWith(e.aid, criteria.aidPrefix));
    const key = `${apdu.p1}:${apdu.p2 & 0xfe}:${toHex(apdu.data)}`;

    let start = 0;
    const channel = card.channel;
    if (next) {
      if (!card.can({ type: 'GET_STATUS_NEXT', channel, p1: apdu.p1, criteria: key, cursor: undefined })) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'no GET STATUS to continue');
      start = card.statusCursor!.next;
    }
    // A first GET STATUS abandons a paging in progress; a "next" moves it on (or ends it) below.
    const page = (cursor: StatusCursor | undefined): void => {
      if (next) card.send({ type: 'GET_STATUS_NEXT', channel, p1: apdu.p1, criteria: key, cursor });
      else if (cursor) card.send({ type: 'GET_STATUS_MORE', channel, cursor });
      else if (card.hasTag('status.paging')) card.send({ type: 'GET_STATUS_ENDED', channel });
    };
    if (all.length === 0) page(undefined);
    if (all.length === 0) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, 'no registry entry matches');

    const tags = criteria.tags ?? defaultStatusTags(apdu.p1);
    const protectedResponse = secured && (card.scp.level & 0x30) !== 0;
    const budget = Math.min(apdu.ne ?? RESPONSE_BUDGET, RESPONSE_BUDGET) - (protectedResponse ? SECURE_MESSAGING_RESERVE : 0);
    const parts: Uint8Array[] = [];
    let size = 0;
    let i = start;
    for (; i < all.length; i++) {
      const encoded = legacy ? buildLegacyRegistryEntry(all[i]!, apdu.p1) : buildRegistryEntry(all[i]!, tags);
      if (size + encoded.length > budget && parts.length > 0) break;
      parts.push(encoded);
      size += encoded.length;
    }
    if (i < all.length) {
      page({ p1: apdu.p1, criteria: key, next: i });
      return { data: concat(...parts), sw: SW.MORE_DATA_AVAILABLE };
    }
    page(undefined);
    return { data: concat(...parts), sw: SW.SUCCESS };
  },
};

function startsWith(aid: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > aid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (aid[i] !== prefix[i]) return false;
  return true;
}
