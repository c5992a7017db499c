import { parseCommandApdu } from '../../../protocol/apdu/index.ts';
import { concat, equalBytes, readU16 } from '../../../protocol/bytes.ts';
import {
  commandMac,
  createSecureMessagingState,
  Scp03Error,
  unwrapResponse,
  wrapCommand,
  type SecureMessagingState,
  type SessionKeys,
} from '../../../protocol/gp/scp03/index.ts';

/** The secure-messaging state one command left behind: what its response is checked against. */
interface Snapshot {
  mcv: Uint8Array;
  counter: bigint;
}

/**
 * SCP03 secure messaging for a script of commands sent in one SERAM order (AMD-D 6.2): every
 * command is wrapped ahead of time, and each response is later unwrapped against the MAC chaining
 * value and counter of its own command — which the card used for its R-MAC and R-ENC — rather than
 * those of the last command wrapped. `Scp03HostSession` interleaves wrap and unwrap, which a batch
 * cannot do.
 */
export class BatchedChannel {
  readonly #state: SecureMessagingState;

  /**
   * Continues the session EXTERNAL AUTHENTICATE (`externalAuthenticate`, as sent) opened: its full
   * C-MAC, recomputed over MCV 16×00, is the first MAC chaining value (AMD-D 7.1.2).
   */
  constructor(keys: SessionKeys, externalAuthenticate: Uint8Array) {
    const level = externalAuthenticate[2]!;
    const cryptogram = externalAuthenticate.subarray(5, 13);
    const state = createSecureMessagingState(keys);
    const mac = commandMac(state, 0x84, 0x82, level, 0x00, cryptogram);
    if (!equalBytes(mac.subarray(0, 8), externalAuthenticate.subarray(13, 21))) throw new Scp03Error('MAC_MISMATCH', 'EXTERNAL AUTHENTICATE was not computed with these session keys');
    this.#state = { keys, level, mcv: mac, counter: 0n };
  }

  /** Wraps each plain command in order; returns the protected commands and the snapshot for each response. */
  wrapAll(commands: Uint8Array[]): { wrapped: Uint8Array[]; snapshots: Snapshot[] } {
    const wrapped: Uint8Array[] = [];
    const snapshots: Snapshot[] = [];
    for (const command of commands) {
      const c = parseCommandApdu(command);
      const body = wrapCommand(this.#state, c.cla, c.ins, c.p1, c.p2, c.data);
      wrapped.push(c.ne === undefined ? body : concat(body, Uint8Array.of(c.ne === 256 ? 0 : c.ne)));
      snapshots.push({ mcv: this.#state.mcv, counter: this.#state.counter });
    }
    return { wrapped, snapshots };
  }

  /** Checks the R-MAC and deciphers the R-ENC data of one response; returns plain data ‖ SW. Throws Scp03Error. */
  unwrap(rapdu: Uint8Array, snapshot: Snapshot): Uint8Array {
    if (rapdu.length < 2) throw new Scp03Error('BAD_RESPONSE', 'a response APDU needs SW1 SW2');
    const sw = readU16(rapdu, rapdu.length - 2);
    const data = unwrapResponse({ ...this.#state, mcv: snapshot.mcv, counter: snapshot.counter }, rapdu.subarray(0, rapdu.length - 2), sw);
    return concat(data, rapdu.subarray(rapdu.length - 2));
  }
}
