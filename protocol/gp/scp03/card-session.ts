import { concat, equalBytes, u24 } from '../../bytes.ts';
import type { CommandApdu } from '../../apdu/types.ts';
import type { RandomSource } from '../../crypto/random-source.ts';
import { Scp03Error } from './scp03-error.ts';
import { commandMac, createSecureMessagingState, SECURITY_LEVEL, unwrapCommand, VALID_SECURITY_LEVELS, wrapResponse, type SecureMessagingState } from './secure-messaging.ts';
import { cardCryptogram, deriveSessionKeys, hostCryptogram, pseudoRandomCardChallenge, type StaticKeys } from './session-keys.ts';

/** The `i` parameter bits of AMD-D Table 5-1 that the card acts on. */
const I_PARAMETER = { PSEUDO_RANDOM: 0x10, R_MAC: 0x20, R_ENC: 0x40 } as const;

export type Scp03SessionState = 'idle' | 'initiated' | 'authenticated';

export interface InitializeUpdateParams {
  keys: StaticKeys;
  kvn: number;
  i: number;
  /** Key diversification data, 10 bytes. */
  kdd: Uint8Array;
  hostChallenge: Uint8Array;
  /** The keyset's sequence counter, already incremented for this command (AMD-D 6.2.2.1). */
  sequenceCounter: number;
  /** AID of the Security Domain opening the channel (context of the pseudo-random challenge). */
  aid: Uint8Array;
  random: RandomSource;
  /** Forces the card challenge; for replaying traces whose challenge cannot be recomputed. */
  cardChallenge?: Uint8Array;
}

/**
 * The card's side of one SCP03 Secure Channel Session (AMD-D 5.5, 5.6, 7.1; reference §10.9):
 * INITIALIZE UPDATE → EXTERNAL AUTHENTICATE → unwrap/wrap each command and response. It knows
 * nothing of storage: keys, KVN and sequence counter come in with INITIALIZE UPDATE. Any security
 * failure aborts the session (`aborted` stays true until a reset or new INITIALIZE UPDATE, so the
 * caller can reject later commands as AMD-D 5.6 asks).
 */
export class Scp03CardSession {
  #state: Scp03SessionState = 'idle';
  #sm: SecureMessagingState | undefined;
  #expectedHostCryptogram: Uint8Array = new Uint8Array(0);
  #i = 0;
  #aborted = false;

  get state(): Scp03SessionState {
    return this.#state;
  }

  /** The Current Security Level; NONE unless authenticated. */
  get level(): number {
    return this.#state === 'authenticated' ? this.#sm!.level : SECURITY_LEVEL.NONE;
  }

  /** True after a security failure, until `reset()` or the next INITIALIZE UPDATE. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Terminates the session (SELECT, channel close, card reset: AMD-D 5.6). */
  reset(): void {
    this.#state = 'idle';
    this.#sm = undefined;
    this.#aborted = false;
  }

  /**
   * INITIALIZE UPDATE (AMD-D 7.1.1): derives the session keys and answers the response data of
   * Table 7-2: KDD | KVN 03 i | card challenge | card cryptogram | [sequence counter if i has 10].
   */
  initializeUpdate(params: InitializeUpdateParams): Uint8Array {
    this.reset();
    const { keys, kvn, i, kdd, hostChallenge, sequenceCounter, aid } = params;
    if (hostChallenge.length !== 8) throw new Scp03Error('BAD_LENGTH', `host challenge must be 8 bytes, got ${hostChallenge.length}`);
    if (kdd.length !== 10) throw new RangeError(`key diversification data must be 10 bytes, got ${kdd.length}`);
    if (!Number.isInteger(sequenceCounter) || sequenceCounter < 0 || sequenceCounter > 0xffffff) {
      throw new Scp03Error('SEQUENCE', `sequence counter ${sequenceCounter} is outside 3 bytes`);
    }
    const pseudoRandom = (i & I_PARAMETER.PSEUDO_RANDOM) !== 0;
    const challenge = params.cardChallenge ?? (pseudoRandom ? pseudoRandomCardChallenge(keys.enc, u24(sequenceCounter), aid) : params.random.bytes(8));
    const sessionKeys = deriveSessionKeys(keys, hostChallenge, challenge);
    this.#sm = createSecureMessagingState(sessionKeys);
    this.#expectedHostCryptogram = hostCryptogram(sessionKeys.sMac, hostChallenge, challenge);
    this.#i = i;
    this.#state = 'initiated';
    return concat(
      kdd,
      Uint8Array.of(kvn, 0x03, i),
      challenge,
      cardCryptogram(sessionKeys.sMac, hostChallenge, challenge),
      pseudoRandom ? u24(sequenceCounter) : new Uint8Array(0),
    );
  }

  /**
   * EXTERNAL AUTHENTICATE (AMD-D 7.1.2, 6.2.3): checks P1 (6A86), P2 (6A86), Lc (6700), the host
   * cryptogram (6300) and the C-MAC under MCV 16×00 (6982). On success the session is
   * authenticated at level P1, the MCV chains from this command and the counter restarts at 0.
   */
  externalAuthenticate(apdu: CommandApdu): void {
    if (this.#state !== 'initiated') {
      if (this.#state === 'authenticated') this.#abort();
      throw new Scp03Error('NO_SESSION', 'EXTERNAL AUTHENTICATE without a preceding INITIALIZE UPDATE');
    }
    const sm = this.#sm!;
    try {
      const level = apdu.p1;
      if (!VALID_SECURITY_LEVELS.includes(level)) throw new Scp03Error('BAD_LEVEL', `security level ${level.toString(16)} is not defined`);
      // Table 5-1: R-MAC / R-ENC may only be asked for when the key set's i parameter offers them.
      if ((level & SECURITY_LEVEL.R_MAC && !(this.#i & I_PARAMETER.R_MAC)) || (level & SECURITY_LEVEL.R_ENCRYPTION && !(this.#i & I_PARAMETER.R_ENC))) {
        throw new Scp03Error('BAD_LEVEL', `security level ${level.toString(16)} needs R-MAC/R-ENC support the i parameter does not offer`);
      }
      if (apdu.p2 !== 0x00) throw new Scp03Error('BAD_PARAMETER', `EXTERNAL AUTHENTICATE P2 must be 00`);
      if (apdu.data.length !== 16) throw new Scp03Error('BAD_LENGTH', `EXTERNAL AUTHENTICATE needs 16 data bytes, got ${apdu.data.length}`);
      if (!equalBytes(apdu.data.subarray(0, 8), this.#expectedHostCryptogram)) throw new Scp03Error('CRYPTOGRAM_MISMATCH', 'host cryptogram does not verify');
      const mac = commandMac(sm, apdu.cla, apdu.ins, apdu.p1, apdu.p2, apdu.data.subarray(0, 8));
      if (!equalBytes(mac.subarray(0, 8), apdu.data.subarray(8))) throw new Scp03Error('MAC_MISMATCH', 'EXTERNAL AUTHENTICATE C-MAC does not verify');
      sm.mcv = mac;
      sm.level = level;
      sm.counter = 0n;
      this.#state = 'authenticated';
    } catch (error) {
      this.#abort();
      throw error;
    }
  }

  /**
   * Checks and strips a command's protection (see `unwrapCommand`); a failure aborts the session.
   * A command arriving between INITIALIZE UPDATE and EXTERNAL AUTHENTICATE aborts it too.
   */
  unwrap(apdu: CommandApdu): CommandApdu {
    if (this.#state === 'initiated') this.#abort();
    const sm = this.#authenticated();
    try {
      return unwrapCommand(sm, apdu);
    } catch (error) {
      this.#abort();
      throw error;
    }
  }

  /** Protects a response per the session level (see `wrapResponse`): full R-APDU bytes. */
  wrap(data: Uint8Array, sw: number): Uint8Array {
    return wrapResponse(this.#authenticated(), data, sw);
  }

  #authenticated(): SecureMessagingState {
    if (this.#state !== 'authenticated') {
      throw new Scp03Error('NOT_AUTHENTICATED', 'no authenticated Secure Channel Session');
    }
    return this.#sm!;
  }

  #abort(): void {
    this.reset();
    this.#aborted = true;
  }
}
