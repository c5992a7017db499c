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
export {
  CARD_IMAGE_FORMAT,
  CARD_IMAGE_FORMAT_PLAIN,
  CardImageError,
  cardImageKeyring,
  loadCardImage,
  saveCardImage,
  type CardImage,
  type CardImageErrorCode,
  type CardImageFile,
  type CardImageKeyOptions,
} from './card-image.ts';
