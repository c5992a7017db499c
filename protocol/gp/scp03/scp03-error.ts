/**
 * Why an SCP03 step failed, and the status word a card answers with (GPCS Table D-9, AMD-D 7.1,
 * GPCS 10.x security errors). Host-side failures reuse the same codes so one handler serves both.
 */
export type Scp03ErrorCode =
  | 'MAC_MISMATCH'
  | 'CRYPTOGRAM_MISMATCH'
  | 'BAD_PADDING'
  | 'BAD_LENGTH'
  | 'BAD_LEVEL'
  | 'BAD_PARAMETER'
  | 'NO_SESSION'
  | 'NOT_AUTHENTICATED'
  | 'SECURITY_LEVEL'
  | 'SEQUENCE'
  | 'BAD_RESPONSE';

const SW_BY_CODE: Record<Scp03ErrorCode, number> = {
  MAC_MISMATCH: 0x6982, // security status not satisfied
  CRYPTOGRAM_MISMATCH: 0x6300, // authentication of host cryptogram failed (GPCS Table D-9)
  BAD_PADDING: 0x6982, // a decryption that does not unpad is a security error, not a format error
  BAD_LENGTH: 0x6700,
  BAD_LEVEL: 0x6a86, // EXTERNAL AUTHENTICATE P1 not a valid security level
  BAD_PARAMETER: 0x6a86,
  NO_SESSION: 0x6985, // EXTERNAL AUTHENTICATE without a preceding INITIALIZE UPDATE
  NOT_AUTHENTICATED: 0x6982, // secure messaging outside an authenticated session
  SECURITY_LEVEL: 0x6982, // command protection below the session's level (AMD-D 5.6)
  SEQUENCE: 0x6985, // sequence counter exhausted (AMD-D 6.2.2.1)
  BAD_RESPONSE: 0x6f00, // host side: the card's answer is not an SCP03 answer
};

/** An SCP03 failure; `sw` is what the card returns for it. */
export class Scp03Error extends Error {
  override readonly name = 'Scp03Error';
  readonly sw: number;

  constructor(
    readonly code: Scp03ErrorCode,
    message: string,
  ) {
    super(message);
    this.sw = SW_BY_CODE[code];
  }
}
