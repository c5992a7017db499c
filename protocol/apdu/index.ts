export type { ApduCase, CommandApdu, ResponseApdu } from './types.ts';
export { ApduError, type ApduErrorCode } from './apdu-error.ts';
export {
  parseCommandApdu,
  tryParseCommandApdu,
  buildCommandApdu,
  apduCase,
  type CommandApduFields,
  type ParseCommandResult,
} from './command-apdu.ts';
export { parseResponseApdu, buildResponseApdu, swOf, isValidSw } from './response-apdu.ts';
export { SW, SW_TABLE, swName, swMeaning, swHex, swEntry, isSuccess, type SwName, type SwEntry } from './sw.ts';
export { CardStatusError } from './card-status-error.ts';
export { INS, commandName } from './ins.ts';
export { isGpClass, isSecureMessagingClass, logicalChannel, channelCla } from './cla.ts';
