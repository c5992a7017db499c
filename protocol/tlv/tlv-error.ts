/**
 * The one error BER-TLV and LV decoding produce; `offset` is where the faulty field starts in the
 * bytes given to the parser (absolute, also for errors found inside a constructed value).
 *
 * - TRUNCATED_TAG: the input ends inside a tag. BAD_TAG: a tag longer than 3 bytes, or a tag
 *   number that cannot be encoded (e.g. 1F alone, which announces a multi-byte tag).
 * - TRUNCATED_LENGTH: the input ends inside a length. BAD_LENGTH: a length of more than 3 bytes
 *   (84 and up) or a value too long to encode. INDEFINITE_LENGTH: 80, which ISO 7816-4 forbids.
 * - VALUE_OVERRUN: the length runs past the end of the input (or of the enclosing value).
 * - TRAILING_DATA: bytes left over where exactly one TLV was expected.
 * - TOO_DEEP: constructed values nested beyond MAX_TLV_DEPTH (no GP structure comes close).
 */
export type TlvErrorCode =
  | 'TRUNCATED_TAG'
  | 'BAD_TAG'
  | 'TRUNCATED_LENGTH'
  | 'BAD_LENGTH'
  | 'INDEFINITE_LENGTH'
  | 'VALUE_OVERRUN'
  | 'TRAILING_DATA'
  | 'TOO_DEEP';

export class TlvError extends Error {
  override readonly name = 'TlvError';
  readonly code: TlvErrorCode;
  readonly offset: number;

  constructor(code: TlvErrorCode, message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.code = code;
    this.offset = offset;
  }
}
