/**
 * A card image file: the card's profile and its persistent memory, saved between runs so a card
 * keeps its keys, applets and counters (and, if it was torn, recovers at its next power-up).
 *
 * Both hold secrets (the card's private key, the SCP03 keys), so they are sealed at rest with the
 * data keyring (AES-256-GCM, protocol/secrets; AAD = the format name):
 *
 * ```json
 * { "format": "cardlab-card-image/2", "sealed": "<base64 of seal(JSON { profile, persistent })>", "createdAt": "…" }
 * ```
 *
 * where `persistent` is the base64 of `store.image()`. The keyring is `CARDLAB_DATA_KEY`, else
 * `data-keys.json` beside the image. The plain `cardlab-card-image/1` form (`profile` and
 * `persistent` in clear) is still read, and sealed at the next save.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SecretBoxError, ensurePrivateDir, writePrivateFileAtomic, type SecretBox } from '../../protocol/secrets/index.ts';
import { cardImageKeys, cardImageKeySource } from './card-image-keys.ts';
import { PersistentStore } from './persistent-store.ts';
import { StorageError } from './storage-error.ts';

export const CARD_IMAGE_FORMAT = 'cardlab-card-image/2';
/** The earlier, unsealed form: read, never written. */
export const CARD_IMAGE_FORMAT_PLAIN = 'cardlab-card-image/1';

export interface CardImageFile {
  format: typeof CARD_IMAGE_FORMAT;
  /** Base64 of SecretBox.seal(JSON { profile, persistent }, CARD_IMAGE_FORMAT). */
  sealed: string;
  createdAt?: string;
}

/** What a card image holds once opened. */
export interface CardImage {
  profile: unknown;
  store: PersistentStore;
  createdAt?: string;
}

/** Where the keyring comes from: `keys` given, else `env` (default process.env) and the key file beside the image. */
export interface CardImageKeyOptions {
  keys?: SecretBox;
  env?: NodeJS.ProcessEnv;
}

export type CardImageErrorCode = 'UNREADABLE' | 'BAD_JSON' | 'BAD_FORMAT' | 'BAD_IMAGE' | 'SEALED';

/** A card image file could not be read, opened or written, or is not a valid card image; `reason` says why. */
export class CardImageError extends Error {
  override readonly name = 'CardImageError';
  constructor(
    readonly code: CardImageErrorCode,
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Writes the card image sealed, durably and atomically (temporary file 0600, fsync, rename, fsync of
 * the directory): a kill at any moment leaves the previous image or this one. A directory that does
 * not exist is created 0700.
 */
export function saveCardImage(path: string, card: CardImage, options: CardImageKeyOptions = {}): void {
  if (!existsSync(dirname(path))) ensurePrivateDir(dirname(path));
  const keys = options.keys ?? openKeys(path, true, options.env)!;
  const contents = JSON.stringify({ profile: card.profile, persistent: Buffer.from(card.store.image()).toString('base64') });
  const file: CardImageFile = { format: CARD_IMAGE_FORMAT, sealed: Buffer.from(keys.seal(Buffer.from(contents), CARD_IMAGE_FORMAT)).toString('base64') };
  if (card.createdAt !== undefined) file.createdAt = card.createdAt;
  writePrivateFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** The keyring for the card image at `path` (see saveCardImage), made once by callers that save often. */
export function cardImageKeyring(path: string, options: { env?: NodeJS.ProcessEnv } = {}): SecretBox {
  if (!existsSync(dirname(path))) ensurePrivateDir(dirname(path));
  return openKeys(path, true, options.env)!;
}

/** Reads a card image (sealed, or plain /1); every defect is a CardImageError naming the file and the reason. */
export function loadCardImage(path: string, options: CardImageKeyOptions = {}): CardImage {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CardImageError('UNREADABLE', path, `cannot read the file (${(e as Error).message})`, { cause: e });
  }
  const json = parseJson(path, text, 'BAD_JSON', 'not JSON');
  const file = checkObject(path, json, '');
  checkString(path, file, 'createdAt', '', false);
  let contents: Record<string, unknown>;
  if (file.format === CARD_IMAGE_FORMAT) {
    checkString(path, file, 'sealed', '', true);
    const keys = options.keys ?? openKeys(path, false, options.env);
    if (!keys) throw new CardImageError('SEALED', path, `the image is sealed and there is no data key: set ${cardImageKeySource(path)}`);
    let plain: Uint8Array;
    try {
      plain = keys.open(new Uint8Array(Buffer.from(file.sealed as string, 'base64')), CARD_IMAGE_FORMAT);
    } catch (e) {
      if (e instanceof SecretBoxError) throw new CardImageError('SEALED', path, `cannot open the sealed image with the keyring of ${cardImageKeySource(path)}: ${e.message}`, { cause: e });
      throw e;
    }
    contents = checkObject(path, parseJson(path, Buffer.from(plain).toString('utf8'), 'BAD_FORMAT', 'sealed contents are not JSON'), 'sealed contents: ');
  } else if (file.format === CARD_IMAGE_FORMAT_PLAIN) {
    contents = file;
  } else {
    throw new CardImageError('BAD_FORMAT', path, `format is ${JSON.stringify(file.format)}, expected '${CARD_IMAGE_FORMAT}' (or the plain '${CARD_IMAGE_FORMAT_PLAIN}')`);
  }
  const where = contents === file ? '' : 'sealed contents: ';
  if (!('profile' in contents)) throw new CardImageError('BAD_FORMAT', path, `${where}missing 'profile'`);
  checkString(path, contents, 'persistent', where, true);
  try {
    const store = PersistentStore.fromImage(new Uint8Array(Buffer.from(contents.persistent as string, 'base64')));
    const image: CardImage = { profile: contents.profile, store };
    if (file.createdAt !== undefined) image.createdAt = file.createdAt as string;
    return image;
  } catch (e) {
    if (e instanceof StorageError) throw new CardImageError('BAD_IMAGE', path, `persistent memory image is corrupt (${e.message})`, { cause: e });
    throw e;
  }
}

function openKeys(path: string, create: boolean, env: NodeJS.ProcessEnv | undefined): SecretBox | undefined {
  try {
    return cardImageKeys(path, env === undefined ? { create } : { create, env });
  } catch (e) {
    if (e instanceof SecretBoxError) throw new CardImageError('SEALED', path, `the data keyring (${cardImageKeySource(path)}) is unusable: ${e.message}`, { cause: e });
    throw e;
  }
}

function parseJson(path: string, text: string, code: 'BAD_JSON' | 'BAD_FORMAT', what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CardImageError(code, path, `${what} (${(e as Error).message})`, { cause: e });
  }
}

function checkObject(path: string, json: unknown, where: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CardImageError('BAD_FORMAT', path, `${where}expected a JSON object`);
  return json as Record<string, unknown>;
}

function checkString(path: string, object: Record<string, unknown>, field: string, where: string, base64: boolean): void {
  const value = object[field];
  if (!base64 && value === undefined) return;
  if (typeof value !== 'string' || (base64 && !BASE64.test(value))) {
    throw new CardImageError('BAD_FORMAT', path, `${where}'${field}' must be a ${base64 ? 'base64 ' : ''}string`);
  }
}
