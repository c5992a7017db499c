/**
 * A card image file: the card's profile and its persistent memory, saved between runs so a card
 * keeps its keys, applets and counters (and, if it was torn, recovers at its next power-up).
 *
 * ```json
 * { "format": "cardlab-card-image/1", "profile": { … }, "persistent": "<base64 of store.image()>", "createdAt": "…" }
 * ```
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { PersistentStore } from './persistent-store.ts';
import { StorageError } from './storage-error.ts';

export const CARD_IMAGE_FORMAT = 'cardlab-card-image/1';

export interface CardImageFile {
  format: typeof CARD_IMAGE_FORMAT;
  profile: unknown;
  /** Base64 of PersistentStore.image(). */
  persistent: string;
  createdAt?: string;
}

export type CardImageErrorCode = 'UNREADABLE' | 'BAD_JSON' | 'BAD_FORMAT' | 'BAD_IMAGE';

/** A card image file could not be read or is not a valid card image; `reason` says why. */
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

/** Writes the card image atomically: a temporary file beside `path`, then a rename over it. */
export function saveCardImage(path: string, card: { profile: unknown; store: PersistentStore; createdAt?: string }): void {
  const file: CardImageFile = { format: CARD_IMAGE_FORMAT, profile: card.profile, persistent: Buffer.from(card.store.image()).toString('base64') };
  if (card.createdAt !== undefined) file.createdAt = card.createdAt;
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}

/** Reads a card image; every defect is a CardImageError naming the file and the reason. */
export function loadCardImage(path: string): { profile: unknown; store: PersistentStore; createdAt?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CardImageError('UNREADABLE', path, `cannot read the file (${(e as Error).message})`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CardImageError('BAD_JSON', path, `not JSON (${(e as Error).message})`, { cause: e });
  }
  const file = checkShape(path, json);
  try {
    const store = PersistentStore.fromImage(new Uint8Array(Buffer.from(file.persistent, 'base64')));
    return file.createdAt === undefined ? { profile: file.profile, store } : { profile: file.profile, store, createdAt: file.createdAt };
  } catch (e) {
    if (e instanceof StorageError) throw new CardImageError('BAD_IMAGE', path, `persistent memory image is corrupt (${e.message})`, { cause: e });
    throw e;
  }
}

function checkShape(path: string, json: unknown): CardImageFile {
  const fail = (reason: string) => new CardImageError('BAD_FORMAT', path, reason);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('expected a JSON object');
  const file = json as Record<string, unknown>;
  if (file.format !== CARD_IMAGE_FORMAT) throw fail(`format is ${JSON.stringify(file.format)}, expected '${CARD_IMAGE_FORMAT}'`);
  if (!('profile' in file)) throw fail("missing 'profile'");
  if (typeof file.persistent !== 'string' || !BASE64.test(file.persistent)) throw fail("'persistent' must be a base64 string");
  if (file.createdAt !== undefined && typeof file.createdAt !== 'string') throw fail("'createdAt' must be a string");
  return file as unknown as CardImageFile;
}
