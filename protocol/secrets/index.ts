export { SecretBox, SecretBoxError, type DataKey, type SecretBoxErrorCode } from './secret-box.ts';
export { ensurePrivateDir, writePrivateFileAtomic, makePrivate } from './private-files.ts';
export { loadDataKeys, parseDataKeys, DATA_KEY_ENV, DATA_KEY_FILE } from './data-keys.ts';
