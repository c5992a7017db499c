/** Persistent memory of the simulated card: transactions, undo journal, tearing, card image files. */
export {
  OBJECT_OVERHEAD,
  PersistentStore,
  PowerLossError,
  StorageError,
  type DurableEvent,
  type PhysicalWrite,
  type RecoveryReport,
  type StorageErrorCode,
  type WriteHook,
} from './persistent-store.ts';
export { MAX_KEY_LENGTH, MAX_VALUE_LENGTH } from './store-limits.ts';
export { CARD_IMAGE_FORMAT, CardImageError, loadCardImage, saveCardImage, type CardImageErrorCode, type CardImageFile } from './card-image.ts';
