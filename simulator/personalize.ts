import { concat, u24 } from '../protocol/bytes.ts';
import type { RandomSource } from '../protocol/crypto/random-source.ts';
import { PersistentStore } from './storage/index.ts';
import type { CardProfile } from './profile/card-profile.ts';
import { STORE_KEY } from './storage-keys.ts';
import { createCardKey } from './content/card-key.ts';

/** CPLC offset and width of the IC serial number (reference §3.3). */
const CPLC_SERIAL_OFFSET = 12;

/**
 * Personalises a fresh card from its profile: writes the card-unique data (CPLC, IIN, CIN), the card
 * life cycle, the ISD privileges, the card's own ECDSA key pair, the Confirmation Counter, the SCP03 keysets and their sequence counters into a new persistent
 * memory, in one transaction. A CIN or CPLC serial number the profile leaves open is drawn from
 * `random` (so the same seed personalises the same card).
 */
export function personalize(profile: CardProfile, random: RandomSource): PersistentStore {
  const store = new PersistentStore({ capacity: profile.memory.persistent });
  const cplc = new Uint8Array(profile.cplc);
  if (!profile.cplcSerialFixed) cplc.set(random.bytes(4), CPLC_SERIAL_OFFSET);
  const cin = profile.cin ?? random.bytes(8);
  const cardKey = createCardKey(profile.cardKeyCurve, random);
  store.transaction(() => {
    store.write(STORE_KEY.CPLC, cplc);
    store.write(STORE_KEY.IIN, profile.iin);
    store.write(STORE_KEY.CIN, cin);
    store.write(STORE_KEY.LIFE_CYCLE, new Uint8Array([profile.lifeCycle]));
    store.write(STORE_KEY.ISD_PRIVILEGES, profile.isdPrivileges);
    store.write(STORE_KEY.CARD_KEY, cardKey);
    store.write(STORE_KEY.CONFIRMATION_COUNTER, new Uint8Array(2));
    for (const k of profile.keys) {
      store.write(STORE_KEY.keyset(k.kvn), concat(k.enc, k.mac, k.dek));
      store.write(STORE_KEY.sequenceCounter(k.kvn), u24(k.sequenceCounter));
    }
  });
  return store;
}
