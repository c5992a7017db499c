/**
 * The one error a malformed APDU produces. Codecs throw nothing else (no RangeError from a buffer read),
 * so a reader or the card can turn any ApduError into a status word or a trace line without guessing.
 *
 * - TOO_SHORT: fewer than the 4 header bytes (command) or the 2 status bytes (response).
 * - TOO_LONG: bytes left over after the last length field, or a field too big for any APDU.
 * - BAD_LC: an Lc that cannot be coded (extended Lc 000000, data over 65535 bytes).
 * - BAD_LE: an Le that cannot be coded (truncated extended Le, a 1-byte Le after an extended Lc, Ne 0).
 * - LC_MISMATCH: Lc promises more data bytes than the APDU carries.
 * - BAD_SW: a status word that ISO 7816-3 does not allow (SW1 not 6x/9x, or 60).
 * - BAD_HEADER: a CLA/INS/P1/P2 value outside 00..FF when building.
 */
export type ApduErrorCode = 'TOO_SHORT' | 'TOO_LONG' | 'BAD_LC' | 'BAD_LE' | 'LC_MISMATCH' | 'BAD_SW' | 'BAD_HEADER';

export class ApduError extends Error {
  override readonly name = 'ApduError';
  readonly code: ApduErrorCode;
  /** Byte offset in the APDU where the problem was found, when it comes from parsing. */
  readonly offset?: number;

  constructor(code: ApduErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.code = code;
    if (offset !== undefined) this.offset = offset;
  }
}
