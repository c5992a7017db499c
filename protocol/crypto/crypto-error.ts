/** Why a cryptographic primitive refused its input. */
export type CryptoErrorCode = 'BAD_KEY' | 'BAD_LENGTH' | 'BAD_DER' | 'BAD_SIGNATURE';

/**
 * The one error type of `protocol/crypto`: thrown for malformed input (wrong key size, data that is
 * not a whole number of blocks, malformed DER), never for a signature that merely fails to verify.
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
