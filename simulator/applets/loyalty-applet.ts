import { CardStatusError, SW, type CommandApdu } from '../../protocol/apdu/index.ts';
import { concat, equalBytes, fromHex, readUint, toHex, u16, u32 } from '../../protocol/bytes.ts';
import type { AppletDescription, DescribedFields } from '../../protocol/describe.ts';
import { CREDIT_ONCE_P1, LOYALTY_CLA, LOYALTY_INS, TRANSACTION_ID_LENGTH } from '../../protocol/loyalty/index.ts';
import type { CardResponse } from '../dispatch.ts';
import type { AppletContext, AppletModel } from './applet-model.ts';

/** Package and applet class AIDs of the loyalty model (proprietary RID F0 "CARD"). */
export const LOYALTY_PACKAGE_AID = fromHex('F0434152444C');
export const LOYALTY_APPLET_AID = fromHex('F0434152444C01');

export { LOYALTY_INS };

const DEFAULT_MAX_BALANCE = 1_000_000;
const MAX_COUNTER = 0xffff;
/** How many applied transaction ids the applet remembers. */
const APPLIED_ENTRIES = 4;
/** One remembered CREDIT [once]: transaction id (8) ‖ amount (4) ‖ balance after (4) ‖ counter after (2). */
const ENTRY_LENGTH = TRANSACTION_ID_LENGTH + 4 + 4 + 2;

interface Applied {
  id: Uint8Array;
  amount: number;
  balance: number;
  counter: number;
}

function state(ctx: AppletContext): { balance: number; counter: number; max: number } {
  return {
    balance: readUint(ctx.get('balance')!),
    counter: readUint(ctx.get('counter')!),
    max: readUint(ctx.get('max')!),
  };
}

/** The remembered CREDIT [once] entries, newest first; an empty slot has amount 0 (no credit has). */
function appliedLog(ctx: AppletContext): Applied[] {
  const log = ctx.get('applied') ?? new Uint8Array(0);
  const out: Applied[] = [];
  for (let o = 0; o + ENTRY_LENGTH <= log.length; o += ENTRY_LENGTH) {
    const e = log.subarray(o, o + ENTRY_LENGTH);
    const amount = readUint(e.subarray(8, 12));
    if (amount !== 0) out.push({ id: e.slice(0, 8), amount, balance: readUint(e.subarray(12, 16)), counter: readUint(e.subarray(16, 18)) });
  }
  return out;
}

/** The log field, always APPLIED_ENTRIES slots long (so its size never changes after install). */
function encodeLog(entries: Applied[]): Uint8Array {
  const log = new Uint8Array(APPLIED_ENTRIES * ENTRY_LENGTH);
  entries.slice(0, APPLIED_ENTRIES).forEach((e, i) => log.set(concat(e.id, u32(e.amount), u32(e.balance), u16(e.counter)), i * ENTRY_LENGTH));
  return log;
}

function checkAmount(bytes: Uint8Array): number {
  const amount = readUint(bytes);
  if (amount === 0) throw new CardStatusError(SW.INCORRECT_DATA, 'the amount must not be zero');
  return amount;
}

const answer = (balance: number, counter: number): CardResponse => ({ data: concat(u32(balance), u16(counter)), sw: SW.SUCCESS });

/** Balance and counter after a CREDIT or DEBIT of `amount`, or the refusal (6985). */
function next(s: { balance: number; counter: number; max: number }, ins: number, amount: number): { balance: number; counter: number } {
  const balance = ins === LOYALTY_INS.CREDIT ? s.balance + amount : s.balance - amount;
  if (balance < 0) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `insufficient balance: ${s.balance} < ${amount}`);
  if (balance > s.max) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `balance would exceed the maximum ${s.max}`);
  if (s.counter >= MAX_COUNTER) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'transaction counter exhausted');
  return { balance, counter: s.counter + 1 };
}

/** CREDIT [once]: applied the first time its transaction id is seen, answered from the log after that. */
function creditOnce(ctx: AppletContext, apdu: CommandApdu): CardResponse {
  if (apdu.data.length !== TRANSACTION_ID_LENGTH + 4) throw new CardStatusError(SW.WRONG_LENGTH, 'transaction id (8) and amount (4)');
  const id = apdu.data.slice(0, TRANSACTION_ID_LENGTH);
  const amount = checkAmount(apdu.data.subarray(TRANSACTION_ID_LENGTH));
  const log = appliedLog(ctx);
  const seen = log.find((e) => equalBytes(e.id, id));
  if (seen) {
    if (seen.amount !== amount) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `transaction id already applied with amount ${seen.amount}`);
    return answer(seen.balance, seen.counter);
  }
  const after = next(state(ctx), LOYALTY_INS.CREDIT, amount);
  const entries = [{ id, amount, ...after }, ...log];
  ctx.transaction(() => {
    ctx.write('balance', u32(after.balance));
    ctx.write('counter', u16(after.counter));
    ctx.write('applied', encodeLog(entries));
  });
  return answer(after.balance, after.counter);
}

/** An amount field: 4 bytes, big-endian. */
function amountOf(bytes: Uint8Array): number {
  if (bytes.length !== 4) throw new RangeError('an amount is 4 bytes');
  return readUint(bytes);
}

/** The answer of CREDIT, DEBIT and GET BALANCE: balance (4) ‖ counter (2). */
function balanceFields(data: Uint8Array): { balance: number; counter: number } {
  if (data.length !== 6) throw new RangeError('balance (4) and counter (2)');
  return { balance: readUint(data.subarray(0, 4)), counter: readUint(data.subarray(4)) };
}

/** The loyalty applet's vocabulary for traces: `CREDIT amount 100`, `9000 success` then `balance 100, counter 1`. */
const LOYALTY_DESCRIPTION: AppletDescription = {
  instructions: {
    [LOYALTY_INS.CREDIT]: {
      name: 'CREDIT',
      data: (data, command): DescribedFields =>
        command.p1 === CREDIT_ONCE_P1 && data.length === TRANSACTION_ID_LENGTH + 4
          ? { 'transaction id': toHex(data.subarray(0, TRANSACTION_ID_LENGTH)), amount: amountOf(data.subarray(TRANSACTION_ID_LENGTH)) }
          : { amount: amountOf(data) },
      response: balanceFields,
    },
    [LOYALTY_INS.DEBIT]: { name: 'DEBIT', data: (data) => ({ amount: amountOf(data) }), response: balanceFields },
    [LOYALTY_INS.GET_BALANCE]: { name: 'GET BALANCE', response: balanceFields },
  },
};

/**
 * A loyalty / e-purse applet: balance (4 bytes), transaction counter (2 bytes), maximum balance (4 bytes,
 * from the C9 install parameters, default 1,000,000). CREDIT `80 52 00 00 04 <amount>` and DEBIT
 * `80 54 00 00 04 <amount>` update balance and counter in ONE transaction (both or neither after a
 * power loss) and answer balance ‖ counter; GET BALANCE `80 5C 00 00 06` answers the same.
 *
 * CREDIT [once] `80 52 01 00 0C <transaction id, 8 bytes> <amount, 4 bytes> 06` credits the amount the
 * first time the id is seen and remembers it; the same id and amount again answer the balance ‖ counter
 * that first credit answered, with 9000, and change nothing — so a command resent after a lost answer
 * is applied exactly once. The last 4 applied ids are kept in the persistent field `applied`, allocated
 * at install like every field of the applet (72 bytes, so its memory never changes afterwards), newest
 * first, 18 bytes each: id (8) ‖ amount (4) ‖ balance after (4) ‖ counter after (2), an unused slot all
 * zero; it is written in the same transaction as balance and counter, so a power loss leaves all three
 * as they were or all three updated. A known id with another amount is 6985.
 *
 * Refusals: insufficient funds or a balance above the maximum 6985, counter exhausted 6985,
 * zero amount 6A80, wrong Lc 6700, P1-P2 other than 0000 (or 0100 for CREDIT) 6A86, CLA ≠ 80 6E00,
 * unknown INS 6D00 (ISO/IEC 7816-4 §5.6 status words).
 */
export const loyaltyApplet: AppletModel = {
  name: 'loyalty',
  moduleAid: LOYALTY_APPLET_AID,
  describe: LOYALTY_DESCRIPTION,
  install(ctx, parameters) {
    if (parameters.length !== 0 && parameters.length !== 4) throw new CardStatusError(SW.INCORRECT_DATA, 'loyalty parameters: the maximum balance, 4 bytes');
    const max = parameters.length === 4 ? readUint(parameters) : DEFAULT_MAX_BALANCE;
    ctx.write('balance', u32(0));
    ctx.write('counter', u16(0));
    ctx.write('max', u32(max));
    ctx.write('applied', encodeLog([]));
  },
  process(ctx, apdu): CardResponse {
    if (apdu.cla !== LOYALTY_CLA) throw new CardStatusError(SW.CLA_NOT_SUPPORTED, 'loyalty commands use CLA 80');
    if (apdu.ins === LOYALTY_INS.CREDIT && apdu.p1 === CREDIT_ONCE_P1 && apdu.p2 === 0) return creditOnce(ctx, apdu);
    if (apdu.p1 !== 0 || apdu.p2 !== 0) throw new CardStatusError(SW.INCORRECT_P1P2);
    const s = state(ctx);
    switch (apdu.ins) {
      case LOYALTY_INS.GET_BALANCE:
        if (apdu.data.length !== 0) throw new CardStatusError(SW.WRONG_LENGTH);
        return answer(s.balance, s.counter);
      case LOYALTY_INS.CREDIT:
      case LOYALTY_INS.DEBIT: {
        if (apdu.data.length !== 4) throw new CardStatusError(SW.WRONG_LENGTH, 'the amount is 4 bytes');
        const after = next(s, apdu.ins, checkAmount(apdu.data));
        ctx.transaction(() => {
          ctx.write('balance', u32(after.balance));
          ctx.write('counter', u16(after.counter));
        });
        return answer(after.balance, after.counter);
      }
      default:
        throw new CardStatusError(SW.INS_NOT_SUPPORTED);
    }
  },
};
