import { loadCardImage } from './storage/index.ts';
import { validateProfile } from './profile/card-profile.ts';
import { createCard, type Card, type CreateCardOptions } from './card.ts';

/**
 * Opens a card image file written by `Card.saveImage` (or `cardlab card new`): the profile it was made
 * from and its persistent memory, which recovers from any torn write at the next power-on.
 */
export function loadCard(path: string, options: Omit<CreateCardOptions, 'profile' | 'store'> = {}): Card {
  const { profile, store } = loadCardImage(path);
  return createCard({ ...options, profile: validateProfile(profile, path), store });
}
