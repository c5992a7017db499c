import { CardStatusError, SW } from '../../protocol/apdu/index.ts';
import { concat, readU16, u16 } from '../../protocol/bytes.ts';
import { aesCmac } from '../../protocol/crypto/index.ts';
import { buildConfirmation, buildConfirmationData, receiptMessage } from '../../protocol/gp/data/index.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { STORE_KEY } from '../storage-keys.ts';
import { signWithCardKey } from './card-key.ts';

const MAX_COUNTER = 0xffff;
const NO_CONFIRMATION = new Uint8Array([0x00]);

/**
 * The confirmation of a content management operation (GPCS 11.1.6, C.5), to be called INSIDE the
 * operation's transaction: it writes the incremented Confirmation Counter in that same transaction, so
 * a torn operation never consumes a counter value and a completed one never repeats it.
 *
 * Counter semantics (GPCS leaves it open, reference §9.3): a receipt carries the counter value BEFORE
 * the increment — a new card's first receipt carries 0000, as in the reference's worked sequence
 * (load 0000, install 0001, delete 0002). At FFFF the card refuses further receipted operations (6985).
 *
 * Receipt: ECDSA r‖s by the card's own key (the issuer verifies it with the card certificate alone),
 * or AES-CMAC with the profile's receipt key, or none (`00`, no confirmation), per profile.
 */
export function issueConfirmation(card: CardRuntime, operationData: Uint8Array): Uint8Array {
  const mode = card.profile.receipts;
  if (mode.type === 'none') return NO_CONFIRMATION;
  const counter = readU16(card.store.get(STORE_KEY.CONFIRMATION_COUNTER) ?? new Uint8Array(2), 0);
  if (counter >= MAX_COUNTER) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'confirmation counter exhausted');
  const sdUniqueData = concat(card.store.get(STORE_KEY.IIN)!, card.store.get(STORE_KEY.CIN)!);
  const data = buildConfirmationData(counter, sdUniqueData);
  const message = receiptMessage(data, operationData);
  const receipt = mode.type === 'aes' ? aesCmac(mode.key, message) : signWithCardKey(card.store, message);
  if (!receipt) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'the card has no signing key for receipts');
  card.store.write(STORE_KEY.CONFIRMATION_COUNTER, u16(counter + 1));
  return buildConfirmation(receipt, data);
}
