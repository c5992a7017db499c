import { SW, swHex, swOf } from '../../protocol/apdu/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { buildGetData, buildSelect } from '../../protocol/gp/commands/index.ts';
import { parseCardResources } from '../../protocol/gp/data/index.ts';
import { parseSingleTlv } from '../../protocol/tlv/index.ts';
import { TerminalError } from '../terminal-error.ts';
import type { FlowStep } from './flow.ts';

/**
 * S1–S2: powers the card on, selects the Issuer Security Domain and reads the card-unique data
 * (GET DATA 9F7F CPLC, 42 IIN, 45 CIN; GPCS H.2) and the free memory (FF21, Extended Card Resources
 * Information, GPCS H.3).
 */
export const readCard: FlowStep = {
  name: 'read-card',
  async run(flow) {
    const { card, reader, state } = flow;
    try {
      await reader.powerOn();
    } catch (err) {
      throw new TerminalError('S1', 'card', `no card to power on in ${reader.name}: ${(err as Error).message}`);
    }
    const select = await card.send('S1', buildSelect());
    if (swOf(select) !== SW.SUCCESS) throw new TerminalError('S1', 'card', `SELECT of the Issuer Security Domain answered ${swHex(swOf(select))}`, { sw: swHex(swOf(select)) });
    state.cplc = await card.expectOk('S1', 'GET DATA CPLC', buildGetData(0x9f7f));
    state.iin = await card.expectOk('S1', 'GET DATA IIN', buildGetData(0x42));
    state.cin = await card.expectOk('S1', 'GET DATA CIN', buildGetData(0x45));
    state.cardId = toHex(parseSingleTlv(state.cin).value);
    flow.result.cardId = state.cardId;
    flow.done('S1', `CIN ${state.cardId}, IIN ${toHex(parseSingleTlv(state.iin).value)}`);

    state.resources = await card.expectOk('S2', 'GET DATA FF21', buildGetData(0xff21));
    const r = parseCardResources(state.resources);
    flow.done('S2', `${r.freeNonVolatileMemory} bytes of persistent memory free, ${r.installedApplications} application(s)`);
  },
};
