import { concat } from '../../bytes.ts';
import { DERIVATION, scp03Kdf } from './kdf.ts';

/** A static SCP03 key set (AMD-D Table 6-1): Key-ENC, Key-MAC, Key-DEK, all 16, 24 or 32 bytes. */
export interface StaticKeys {
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

/** Session keys of one Secure Channel Session (AMD-D 6.2.1); there is no session DEK. */
export interface SessionKeys {
  sEnc: Uint8Array;
  sMac: Uint8Array;
  sRmac: Uint8Array;
}

/** Derives S-ENC, S-MAC and S-RMAC from the static keys and both challenges (AMD-D 6.2.1, Table 6-2). */
export function deriveSessionKeys(keys: StaticKeys, hostChallenge: Uint8Array, cardChallenge: Uint8Array): SessionKeys {
  const context = concat(hostChallenge, cardChallenge);
  return {
    sEnc: scp03Kdf(keys.enc, DERIVATION.S_ENC, keys.enc.length * 8, context),
    sMac: scp03Kdf(keys.mac, DERIVATION.S_MAC, keys.mac.length * 8, context),
    sRmac: scp03Kdf(keys.mac, DERIVATION.S_RMAC, keys.mac.length * 8, context),
  };
}

/** The card authentication cryptogram, 8 bytes (AMD-D 6.2.2.2). */
export function cardCryptogram(sMac: Uint8Array, hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  return scp03Kdf(sMac, DERIVATION.CARD_CRYPTOGRAM, 64, concat(hostChallenge, cardChallenge));
}

/** The host authentication cryptogram, 8 bytes (AMD-D 6.2.2.3). */
export function hostCryptogram(sMac: Uint8Array, hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  return scp03Kdf(sMac, DERIVATION.HOST_CRYPTOGRAM, 64, concat(hostChallenge, cardChallenge));
}

/**
 * The pseudo-random card challenge, 8 bytes (AMD-D 6.2.2.1): KDF under Key-ENC over the 3-byte
 * sequence counter (already incremented for this INITIALIZE UPDATE) and the AID of the Security
 * Domain opening the channel.
 */
export function pseudoRandomCardChallenge(keyEnc: Uint8Array, sequenceCounter3: Uint8Array, aid: Uint8Array): Uint8Array {
  return scp03Kdf(keyEnc, DERIVATION.CARD_CHALLENGE, 64, concat(sequenceCounter3, aid));
}
