import { concat, u32 } from '../bytes.ts';

/** The loyalty applet's instructions (CLA 80, proprietary class per ISO/IEC 7816-4 §5.4.1). */
export const LOYALTY_CLA = 0x80;
export const LOYALTY_INS = { CREDIT: 0x52, DEBIT: 0x54, GET_BALANCE: 0x5c } as const;
/** P1 of CREDIT that carries a transaction id: the card applies each id at most once. */
export const CREDIT_ONCE_P1 = 0x01;
/** Length of the transaction id of CREDIT [once]. */
export const TRANSACTION_ID_LENGTH = 8;
/** Answer of CREDIT, DEBIT and GET BALANCE: balance (4) ‖ transaction counter (2). */
export const BALANCE_ANSWER_LENGTH = 6;

/** Why a loyalty command cannot be built. */
export class LoyaltyCommandError extends Error {
  override readonly name = 'LoyaltyCommandError';
}

function amountBytes(amount: number): Uint8Array {
  if (!Number.isInteger(amount) || amount < 1 || amount > 0xffffffff) throw new LoyaltyCommandError(`amount ${amount} is not 1 to 2^32 - 1`);
  return u32(amount);
}

/** CREDIT `80 52 00 00 04 <amount, 4 bytes big-endian> 06` (ISO/IEC 7816-4 case 4, short). */
export function buildCredit(amount: number): Uint8Array {
  return concat(Uint8Array.of(LOYALTY_CLA, LOYALTY_INS.CREDIT, 0x00, 0x00, 0x04), amountBytes(amount), Uint8Array.of(BALANCE_ANSWER_LENGTH));
}

/**
 * CREDIT [once]: `80 52 01 00 0C <transaction id, 8 bytes> <amount, 4 bytes big-endian> 06`.
 * The card credits the amount the first time it sees the id; the same id and amount again answer
 * the balance and counter of that first credit with 9000 and change nothing, so a command resent
 * after a lost answer is applied exactly once.
 */
export function buildCreditOnce(amount: number, transactionId: Uint8Array): Uint8Array {
  if (transactionId.length !== TRANSACTION_ID_LENGTH) throw new LoyaltyCommandError(`transaction id of ${transactionId.length} bytes is not ${TRANSACTION_ID_LENGTH}`);
  return concat(
    Uint8Array.of(LOYALTY_CLA, LOYALTY_INS.CREDIT, CREDIT_ONCE_P1, 0x00, TRANSACTION_ID_LENGTH + 4),
    transactionId,
    amountBytes(amount),
    Uint8Array.of(BALANCE_ANSWER_LENGTH),
  );
}

/** GET BALANCE `80 5C 00 00 06`. */
export function buildGetBalance(): Uint8Array {
  return Uint8Array.of(LOYALTY_CLA, LOYALTY_INS.GET_BALANCE, 0x00, 0x00, BALANCE_ANSWER_LENGTH);
}
