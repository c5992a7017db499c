export {
  buildCredit,
  buildCreditOnce,
  buildGetBalance,
  LoyaltyCommandError,
  LOYALTY_CLA,
  LOYALTY_INS,
  CREDIT_ONCE_P1,
  TRANSACTION_ID_LENGTH,
  BALANCE_ANSWER_LENGTH,
} from './loyalty-commands.ts';
