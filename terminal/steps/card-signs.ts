import { fromHex } from '../../protocol/bytes.ts';
import { buildGetData } from '../../protocol/gp/commands/index.ts';
import { parseSingleTlv } from '../../protocol/tlv/index.ts';
import { cardSigns as sign } from './card-signature.ts';
import { needed, type FlowStep } from './flow.ts';

/** S7: the card signs the application request; its certificate (GET DATA 7F21) goes along. */
export const cardSigns: FlowStep = {
  name: 'card-signs',
  async run(flow) {
    const selection = needed(flow.state.selection, 'application request');
    flow.state.signature = await sign(flow.card, 'S7', fromHex(selection.encodedRequest));
    flow.state.certificate = parseSingleTlv(await flow.card.expectOk('S7', 'GET DATA 7F21 (card certificate)', buildGetData(0x7f21))).value;
    flow.done('S7', `signature of ${flow.state.signature.length} bytes, certificate of ${flow.state.certificate.length} bytes`);
  },
};
