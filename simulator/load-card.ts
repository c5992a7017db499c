import { cardImageKeyring, loadCardImage, saveCardImage } from './storage/index.ts';
import { validateProfile } from './profile/card-profile.ts';
import { createCard, type Card, type CreateCardOptions } from './card.ts';

export interface LoadCardOptions extends Omit<CreateCardOptions, 'profile' | 'store'> {
  /**
   * The file backs the card: it is written through at every persistent commit (see backCardWithImage).
   * Without it the image is only read — a template, as a scenario's `card.image` is.
   */
  writeThrough?: boolean;
  /** Where the data keyring comes from (default process.env; else data-keys.json beside the image). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens a card image file written by `Card.saveImage` (or `cardlab card new`): the profile it was made
 * from and its persistent memory, which recovers from any torn write at the next power-on.
 */
export function loadCard(path: string, options: LoadCardOptions = {}): Card {
  const { writeThrough, env, ...cardOptions } = options;
  const { profile, store } = loadCardImage(path, env === undefined ? {} : { env });
  const card = createCard({ ...cardOptions, profile: validateProfile(profile, path), store });
  if (writeThrough) backCardWithImage(card, path, env === undefined ? {} : { env });
  return card;
}

/**
 * Makes the card image file at `path` the card's memory, as durable as a real card's (JCRE 3.0.5 §7:
 * a committed transaction survives power loss, an interrupted one is undone at the next power-up):
 * the image is written atomically and fsync'd after every commit of the persistent store, after a
 * torn write (so the journal is on disk and the next load rolls it back) and after a recovery. A
 * process killed at any moment leaves every committed transaction in the file, never half of one.
 */
export function backCardWithImage(card: Card, path: string, options: { env?: NodeJS.ProcessEnv } = {}): void {
  const keys = cardImageKeyring(path, options);
  card.store.onCommit(() => saveCardImage(path, { profile: card.profileInput, store: card.store }, { keys }));
}
