import { CardStatusError, SW, type CommandApdu } from '../../protocol/apdu/index.ts';
import { concat, fromHex, readUint, u16, u32 } from '../../protocol/bytes.ts';
import type { CardResponse } from '../dispatch.ts';
import type { AppletContext, AppletModel } from './applet-model.ts';

/** Package and applet class AIDs of the loyalty model (proprietary RID F0 "CARD"). */
export const LOYALTY_PACKAGE_AID = fromHex('F0434152444C');
export const LOYALTY_APPLET_AID = fromHex('F0434152444C01');

/** The loyalty applet's commands (CLA 80). */
export const LOYALTY_INS = { CREDIT: 0x52, DEBIT: 0x54, GET_BALANCE: 0x5c } as const;

const DEFAULT_MAX_BALANCE = 1_000_000;
const MAX_COUNTER = 0xffff;

function state(ctx: AppletContext): { balance: number; counter: number; max: number } {
  return {
    balance: readUint(ctx.get('balance')!),
    counter: readUint(ctx.get('counter')!),
    max: readUint(ctx.get('max')!),
  };
}

function amountOf(apdu: CommandApdu): number {
  if (apdu.data.length !== 4) throw new CardStatusError(SW.WRONG_LENGTH, 'the amount is 4 bytes');
  const amount = readUint(apdu.data);
  if (amount === 0) throw new CardStatusError(SW.INCORRECT_DATA, 'the amount must not be zero');
  return amount;
}

/**
 * A loyalty / e-purse applet: balance (4 bytes), transaction counter (2 bytes), maximum balance (4 bytes,
 * from the C9 install parameters, default 1,000,000). CREDIT `80 52 00 00 04 <amount>` and DEBIT
 * `80 54 00 00 04 <amount>` update balance and counter in ONE transaction (both or neither after a
 * power loss) and answer balance ‖ counter; GET BALANCE `80 5C 00 00 06` answers the same.
 * Refusals: insufficient funds or a balance above the maximum 6985, counter exhausted 6985,
 * zero amount 6A80, wrong Lc 6700, P1-P2 ≠ 0000 6A86, CLA ≠ 80 6E00, unknown INS 6D00.
 */
export const loyaltyApplet: AppletModel = {
  name: 'loyalty',
  moduleAid: LOYALTY_APPLET_AID,
  install(ctx, parameters) {
    if (parameters.length !== 0 && parameters.length !== 4) throw new CardStatusError(SW.INCORRECT_DATA, 'loyalty parameters: the maximum balance, 4 bytes');
    const max = parameters.length === 4 ? readUint(parameters) : DEFAULT_MAX_BALANCE;
    ctx.write('balance', u32(0));
    ctx.write('counter', u16(0));
    ctx.write('max', u32(max));
  },
  process(ctx, apdu): CardResponse {
    if (apdu.cla !== 0x80) throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'loyalty commands use CLA 80');
    if (apdu.p1 !== 0 || apdu.p2 !== 0) throw new CardStatusError(SW.INCORRECT_P1P2);
    const s = state(ctx);
    const answer = (balance: number, counter: number): CardResponse => ({ data: concat(u32(balance), u16(counter)), sw: SW.SUCCESS });
    switch (apdu.ins) {
      case LOYALTY_INS.GET_BALANCE:
        if (apdu.data.length !== 0) throw new CardStatusError(SW.WRONG_LENGTH);
        return answer(s.balance, s.counter);
      case LOYALTY_INS.CREDIT:
      case LOYALTY_INS.DEBIT: {
        const amount = amountOf(apdu);
        const balance = apdu.ins === LOYALTY_INS.CREDIT ? s.balance + amount : s.balance - amount;
        if (balance < 0) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `insufficient balance: ${s.balance} < ${amount}`);
        if (balance > s.max) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `balance would exceed the maximum ${s.max}`);
        if (s.counter >= MAX_COUNTER) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'transaction counter exhausted');
        ctx.transaction(() => {
          ctx.write('balance', u32(balance));
          ctx.write('counter', u16(s.counter + 1));
        });
        return answer(balance, s.counter + 1);
      }
      default:
        throw new CardStatusError(SW.INS_NOT_SUPPORTED);
    }
  },
};
