import { COLLATE_ANSWER, type CollateAnswer, type CollateBody } from '../../protocol/api/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { callJson, refusal } from '../http-client.ts';
import { needed, type FlowStep } from './flow.ts';

/**
 * S3: the issuer collates what the card reported with its records. The answer no longer says what
 * is installed (the install request does), so nothing is skipped from it.
 */
export const collate: FlowStep = {
  name: 'collate',
  async run(flow) {
    const { state } = flow;
    const body: CollateBody = {
      cplc: toHex(needed(state.cplc, 'CPLC')),
      iin: toHex(needed(state.iin, 'IIN')),
      cin: toHex(needed(state.cin, 'CIN')),
      cardResources: toHex(needed(state.resources, 'card resources')),
    };
    const collated = await callJson<CollateAnswer, CollateBody>('S3', flow.issuer('/cards/collate'), { body, idempotent: true, answer: COLLATE_ANSWER }, flow.http);
    if (!collated.ok) throw refusal('S3', 'collation', collated);
    const free = collated.body.freeMemory?.nonVolatile;
    flow.done('S3', `collated by the issuer${free !== undefined ? `; ${free} bytes free on record` : ''}`);
  },
};
