import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { parseCardResources, parseCplc, type CardResources } from '../../../protocol/gp/data/index.ts';
import { parseSingleTlv } from '../../../protocol/tlv/index.ts';
import { ApiRouter, badRequest, conflict, forbidden, HEX, notFound, type JsonSchema } from '../../http/index.ts';
import type { IssuerDeps } from '../issuer-deps.ts';

const COLLATION_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cplc', 'iin', 'cin', 'cardResources'],
  description: 'What the card reported (GET DATA response data, with or without the tag): 9F7F, 42, 45, FF21',
  properties: {
    cplc: { ...HEX(42, 45), description: 'CPLC: 9F7F TLV or its 42-byte value' },
    iin: { ...HEX(1, 18), description: 'Issuer Identification Number: 42 TLV or value' },
    cin: { ...HEX(1, 18), description: 'Card Image Number: 45 TLV or value' },
    cardResources: { ...HEX(3, 64), description: 'Extended Card Resources Information: FF21 TLV' },
  },
};

const COLLATION_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['cardId', 'registered', 'status', 'installedApplications', 'freeMemory'],
  properties: {
    cardId: { type: 'string' },
    registered: { type: 'boolean' },
    status: { type: 'string', enum: ['active'] },
    installedApplications: { type: 'array', items: { type: 'object' } },
    freeMemory: { type: 'object', properties: { nonVolatile: { type: 'integer' }, volatile: { type: 'integer' } } },
    installedCount: { type: 'integer' },
  },
};

/** The value of a GET DATA answer given with its tag (CLA 80) or without (CLA 00). */
function valueOf(tag: number, hex: string, path: string): Uint8Array {
  const bytes = fromHex(hex);
  try {
    const tlv = parseSingleTlv(bytes);
    if (tlv.tag === tag) return tlv.value;
  } catch {
    // not a TLV: the bare value
  }
  if (bytes.length === 0) throw badRequest('invalid_card_data', `${path.slice(1)} is empty`, path);
  return bytes;
}

/**
 * Card collation (S1–S3): the terminal sends what the card reports; the issuer answers whether it
 * is a registered, active card — with its installed applications and free memory — or refuses
 * precisely: `unknown_card` (404), `card_blocked` (403), `card_data_mismatch` (409, with the path of
 * the first field that disagrees), `invalid_card_data` (400).
 */
export function collationRoutes(api: ApiRouter, deps: IssuerDeps): void {
  api.route(
    {
      method: 'post',
      path: '/cards/collate',
      operationId: 'collateCard',
      summary: 'S1–S3: check what the card reports against the personal-information database',
      tags: ['cards'],
      body: COLLATION_BODY,
      responses: { '200': { description: 'a registered, active card', schema: COLLATION_RESPONSE } },
    },
    async (req, res) => {
      const body = req.body as { cplc: string; iin: string; cin: string; cardResources: string };
      const cin = toHex(valueOf(0x45, body.cin, '/cin'));
      const iin = toHex(valueOf(0x42, body.iin, '/iin'));
      let serial: string;
      try {
        serial = parseCplc(valueOf(0x9f7f, body.cplc, '/cplc')).icSerialNumber;
      } catch (err) {
        throw badRequest('invalid_card_data', `CPLC: ${(err as Error).message}`, '/cplc');
      }
      let resources: CardResources;
      try {
        resources = parseCardResources(fromHex(body.cardResources));
      } catch (err) {
        throw badRequest('invalid_card_data', `FF21: ${(err as Error).message}`, '/cardResources');
      }

      const card = await deps.store.getCardByCin(cin);
      if (!card) throw notFound('unknown_card', `no card with CIN ${cin} is registered`, '/cin');
      if (card.status === 'blocked') throw forbidden('card_blocked', 'this card is blocked');
      if (card.iin !== iin) throw conflict('card_data_mismatch', 'the IIN the card reports is not the one registered for it', '/iin');
      if (card.icSerial !== serial) throw conflict('card_data_mismatch', 'the CPLC IC serial number the card reports is not the one registered for it', '/cplc');

      await deps.store.recordCollation(card.id, {
        freeNvm: resources.freeNonVolatileMemory,
        freeVm: resources.freeVolatileMemory,
        installedCount: resources.installedApplications,
        at: deps.clock(),
      });
      const contents = await deps.store.listCardContents(card.id);
      deps.logger.info({ cardId: card.id }, 'card collated');
      res.json({
        cardId: card.id,
        registered: true,
        status: card.status,
        installedApplications: contents.map((c) => ({ aid: c.aid, kind: c.kind, ...(c.loadFileAid ? { loadFileAid: c.loadFileAid } : {}) })),
        freeMemory: { nonVolatile: resources.freeNonVolatileMemory, volatile: resources.freeVolatileMemory },
        installedCount: resources.installedApplications,
      });
    },
  );
}
