import { concat } from '../bytes.ts';
import { scp03Kdf } from './scp03/kdf.ts';

/** A card's static SCP03 keyset (Amendment D §6.1): one key version, three AES keys. */
export interface CardKeyset {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

/** Derivation constants of the three static keys (byte 12 of the KDF label, Amendment D §6.2.1 style). */
const KEY_CONSTANT = { enc: 0x81, mac: 0x82, dek: 0x83 } as const;
const LABEL = new TextEncoder().encode('cardlab isd keys');

/**
 * Per-card ISD keys from the issuer's master key, as issuers diversify (EMV CPS §5, GP's "key
 * diversification data"): each static key is the NIST SP 800-108 KDF in counter mode with AES-CMAC
 * (the SCP03 KDF of Amendment D §6.2.1) over a label, the key version and the card's identity
 * (IIN ‖ CIN, the SD unique data of GPCS §7.4.1). No two cards share keys; the issuer need not store
 * them, and a compromised card reveals nothing of another's.
 */
export function diversifyCardKeys(masterKey: Uint8Array, card: { iin: Uint8Array; cin: Uint8Array }, kvn: number, keyBytes: 16 | 24 | 32 = 16): CardKeyset {
  if (masterKey.length !== 16 && masterKey.length !== 24 && masterKey.length !== 32) throw new RangeError('the master key is an AES key (16, 24 or 32 bytes)');
  if (kvn < 1 || kvn > 0x7f) throw new RangeError('KVN must be 01–7F');
  const context = concat(LABEL, Uint8Array.of(kvn, card.iin.length), card.iin, Uint8Array.of(card.cin.length), card.cin);
  const derive = (constant: number) => scp03Kdf(masterKey, constant, keyBytes * 8, context);
  return { kvn, enc: derive(KEY_CONSTANT.enc), mac: derive(KEY_CONSTANT.mac), dek: derive(KEY_CONSTANT.dek) };
}
