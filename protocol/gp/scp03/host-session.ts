import { concat, equalBytes, readU16, readUint, u16 } from '../../bytes.ts';
import { systemRandom, type RandomSource } from '../../crypto/random-source.ts';
import { Scp03Error } from './scp03-error.ts';
import { channelCla, logicalChannel } from '../../apdu/cla.ts';
import { commandMac, createSecureMessagingState, SECURITY_LEVEL, unwrapResponse, VALID_SECURITY_LEVELS, wrapCommand, type SecureMessagingState } from './secure-messaging.ts';
import { cardCryptogram, deriveSessionKeys, hostCryptogram, type SessionKeys, type StaticKeys } from './session-keys.ts';
import { splitShortCommand } from './short-apdu.ts';

export interface Scp03HostSessionOptions {
  keys: StaticKeys;
  /** Key Version Number to ask for; 0 lets the card pick (AMD-D 7.1.1). */
  kvn?: number;
  random?: RandomSource;
  /** Forces the host challenge (replaying a trace); otherwise 8 bytes from `random`. */
  hostChallenge?: Uint8Array;
  /**
   * The logical channel the session runs on (0–19; default 0, the basic channel): INITIALIZE UPDATE, EXTERNAL
   * AUTHENTICATE and every wrapped command carry it in CLA (GPCS 11.1.4). The channel is outside the C-MAC
   * (AMD-D 6.2.4), so the cryptography is the same on every channel.
   */
  channel?: number;
}

/**
 * The off-card entity's side of an SCP03 session (AMD-D 5.2, 6.2, 7.1), bytes in and bytes out:
 * build INITIALIZE UPDATE, check the card cryptogram, build EXTERNAL AUTHENTICATE, then wrap each
 * plain C-APDU and unwrap each R-APDU. Used by the issuer server and by tests against the card.
 */
export class Scp03HostSession {
  readonly hostChallenge: Uint8Array;
  #keys: StaticKeys;
  #kvn: number;
  #i = 0;
  #kdd: Uint8Array = new Uint8Array(0);
  #cardChallenge: Uint8Array = new Uint8Array(0);
  #sequenceCounter: number | undefined;
  #sm: SecureMessagingState | undefined;
  #authenticated = false;
  readonly channel: number;

  constructor(options: Scp03HostSessionOptions) {
    this.channel = options.channel ?? 0;
    channelCla(0x80, this.channel); // checks the range
    this.#keys = options.keys;
    this.#kvn = options.kvn ?? 0;
    this.hostChallenge = options.hostChallenge ?? (options.random ?? systemRandom()).bytes(8);
    if (this.hostChallenge.length !== 8) throw new Scp03Error('BAD_LENGTH', 'host challenge must be 8 bytes');
  }

  /** KVN requested, then the one the card answered with. */
  get kvn(): number {
    return this.#kvn;
  }
  get i(): number {
    return this.#i;
  }
  get kdd(): Uint8Array {
    return this.#kdd;
  }
  get cardChallenge(): Uint8Array {
    return this.#cardChallenge;
  }
  /** Present only in the 32-byte (pseudo-random challenge) response. */
  get sequenceCounter(): number | undefined {
    return this.#sequenceCounter;
  }
  get level(): number {
    return this.#authenticated ? this.#sm!.level : SECURITY_LEVEL.NONE;
  }
  get sessionKeys(): SessionKeys | undefined {
    return this.#sm?.keys;
  }

  /** INITIALIZE UPDATE (AMD-D 7.1.1): 80 50 KVN 00 08 <host challenge> 00. */
  initializeUpdateCommand(): Uint8Array {
    return concat(Uint8Array.of(channelCla(0x80, this.channel), 0x50, this.#kvn, 0x00, 0x08), this.hostChallenge, Uint8Array.of(0x00));
  }

  /** Parses the INITIALIZE UPDATE response (AMD-D Table 7-2), derives session keys, verifies the card cryptogram. */
  processInitializeUpdateResponse(responseData: Uint8Array): void {
    if (responseData.length !== 29 && responseData.length !== 32) {
      throw new Scp03Error('BAD_RESPONSE', `INITIALIZE UPDATE response must be 29 or 32 bytes, got ${responseData.length}`);
    }
    if (responseData[11] !== 0x03) throw new Scp03Error('BAD_RESPONSE', `card answered for SCP ${responseData[11]!.toString(16)}, not 03`);
    // AMD-D Table 7-2: Key Information names the keyset the card used; a card that answers with
    // another keyset than the one asked for is not the session the host asked for.
    if (this.#kvn !== 0 && responseData[10] !== this.#kvn) {
      throw new Scp03Error('BAD_RESPONSE', `card answered with key version ${responseData[10]!.toString(16).padStart(2, '0')}, not the ${this.#kvn.toString(16).padStart(2, '0')} asked for`);
    }
    this.#kdd = responseData.slice(0, 10);
    this.#kvn = responseData[10]!;
    this.#i = responseData[12]!;
    this.#cardChallenge = responseData.slice(13, 21);
    this.#sequenceCounter = responseData.length === 32 ? readUint(responseData.subarray(29, 32)) : undefined;
    const keys = deriveSessionKeys(this.#keys, this.hostChallenge, this.#cardChallenge);
    if (!equalBytes(cardCryptogram(keys.sMac, this.hostChallenge, this.#cardChallenge), responseData.subarray(21, 29))) {
      throw new Scp03Error('CRYPTOGRAM_MISMATCH', 'card cryptogram does not verify: wrong keys or not this card');
    }
    this.#sm = createSecureMessagingState(keys);
  }

  /**
   * EXTERNAL AUTHENTICATE (AMD-D 7.1.2): 84 82 <level> 00 10 <host cryptogram> <C-MAC>, MACed with
   * MCV 16×00. From here on the session runs at `level` with the counter at 0.
   */
  externalAuthenticateCommand(level: number): Uint8Array {
    const sm = this.#sm;
    if (sm === undefined) throw new Scp03Error('NO_SESSION', 'EXTERNAL AUTHENTICATE before a verified INITIALIZE UPDATE response');
    if (!VALID_SECURITY_LEVELS.includes(level)) throw new Scp03Error('BAD_LEVEL', `security level ${level.toString(16)} is not defined`);
    const cryptogram = hostCryptogram(sm.keys.sMac, this.hostChallenge, this.#cardChallenge);
    const mac = commandMac(sm, 0x84, 0x82, level, 0x00, cryptogram);
    sm.mcv = mac;
    sm.level = level;
    sm.counter = 0n;
    this.#authenticated = true;
    return concat(Uint8Array.of(channelCla(0x84, this.channel), 0x82, level, 0x00, 0x10), cryptogram, mac.subarray(0, 8));
  }

  /** Protects a plain short C-APDU (cases 1–4) per the session level; Le, if present, is kept. */
  wrap(capdu: Uint8Array): Uint8Array {
    const sm = this.#session();
    const split = splitShortCommand(capdu);
    const { ins, p1, p2, data, le } = split;
    // A plain command built for the basic channel goes out on the session's channel.
    const cla = this.channel !== 0 && logicalChannel(split.cla) === 0 ? channelCla(split.cla, this.channel) : split.cla;
    const wrapped = wrapCommand(sm, cla, ins, p1, p2, data);
    return le === undefined ? wrapped : concat(wrapped, Uint8Array.of(le));
  }

  /** Checks the R-MAC and deciphers R-ENC data of an R-APDU; returns the plain data ‖ SW. */
  unwrap(rapdu: Uint8Array): Uint8Array {
    const sm = this.#session();
    if (rapdu.length < 2) throw new Scp03Error('BAD_RESPONSE', 'a response APDU needs SW1 SW2');
    const sw = readU16(rapdu, rapdu.length - 2);
    return concat(unwrapResponse(sm, rapdu.subarray(0, rapdu.length - 2), sw), u16(sw));
  }

  #session(): SecureMessagingState {
    if (!this.#authenticated) throw new Scp03Error('NOT_AUTHENTICATED', 'no authenticated Secure Channel Session');
    return this.#sm!;
  }
}
