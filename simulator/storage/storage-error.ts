/**
 * Errors of the persistent memory layer.
 *
 * `StorageError` is a refusal: the store is unchanged (or, inside a transaction, still consistent)
 * and the card turns it into a status word (NO_SPACE → '6A84 Not enough memory space in the file').
 * `PowerLossError` is not a refusal: power is gone, nothing more may run until `powerUp()`.
 * The two are deliberately unrelated classes so that a `catch (e instanceof StorageError)` mapping
 * status words can never swallow a power loss.
 */

export type StorageErrorCode =
  | 'NO_SPACE' // the object would not fit in the free persistent memory (checked before any write)
  | 'NO_TRANSACTION' // commit() or abort() without begin()
  | 'NESTED_TRANSACTION' // begin() inside an open transaction (cards have one transaction level)
  | 'BAD_IMAGE' // a store image failed its checksum or its strict structure check
  | 'POWERED_OFF' // reserved: operations on an unpowered store throw PowerLossError instead
  | 'BAD_KEY'; // a key outside 1–64 printable ASCII characters

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Power was lost during a physical write (a tear), or the store is used while unpowered. */
export class PowerLossError extends Error {
  override readonly name = 'PowerLossError';
}
