/**
 * Why a card certificate was refused (or could not be issued), RFC 5280 §6.1 path validation
 * reduced to one link: issuer CA → card.
 *
 * - BAD_CERTIFICATE: not a DER X.509 certificate, or the subject lacks the CIN/IIN fields.
 * - WRONG_ISSUER: issuer name or authority key identifier does not match the CA.
 * - BAD_SIGNATURE: the CA's ECDSA/SHA-256 signature does not verify (or another algorithm is used).
 * - EXPIRED / NOT_YET_VALID: the check time is outside the card's (or the CA's) validity.
 * - UNSUPPORTED_KEY: a key that is not an uncompressed P-256 / brainpoolP256r1 point.
 */
export type PkiErrorCode = 'BAD_CERTIFICATE' | 'WRONG_ISSUER' | 'BAD_SIGNATURE' | 'EXPIRED' | 'NOT_YET_VALID' | 'UNSUPPORTED_KEY';

export class PkiError extends Error {
  override readonly name = 'PkiError';

  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
  }
}
