import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { parseCardResources, parseCplc, type CardResources } from '../../../protocol/gp/data/index.ts';
import { parseSingleTlv } from '../../../protocol/tlv/index.ts';
import { COLLATE_ANSWER, COLLATE_BODY, type CollateAnswer, type CollateBody } from '../../../protocol/api/index.ts';
import { ApiRouter, badRequest } from '../../http/index.ts';
import type { IssuerDeps } from '../issuer-deps.ts';

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
 * Card collation (S1–S3): the terminal sends what the card reports (GET DATA 9F7F, 42, 45, FF21). The
 * body is anonymous — anyone can send a card's public GET DATA values and a forged FF21 — so the
 * issuer checks its form (400 `invalid_card_data`) and answers what it read, the same way for a
 * registered card, an unknown one or a mismatching one: the answer reveals nothing of its records and
 * the report changes none of them. What the issuer records of a card comes only from data the card
 * authenticated: its signature on the install request (S9) and the secure-channel GET DATA FF21 after
 * an install (S14); whether this card may have this application is decided there (S9–S10).
 */
export function collationRoutes(api: ApiRouter, _deps: IssuerDeps): void {
  api.route(
    {
      method: 'post',
      path: '/cards/collate',
      operationId: 'collateCard',
      summary: 'S1–S3: check the form of what the card reports; records nothing, reveals nothing',
      tags: ['cards'],
      body: COLLATE_BODY,
      responses: { '200': { description: 'the report was well-formed', schema: COLLATE_ANSWER } },
    },
    async (req, res) => {
      const body = req.body as CollateBody;
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
      res.json({
        status: 'received' as const,
        cin,
        iin,
        icSerial: serial,
        freeMemory: { nonVolatile: resources.freeNonVolatileMemory, volatile: resources.freeVolatileMemory },
        installedCount: resources.installedApplications,
      } satisfies CollateAnswer);
    },
  );
}
