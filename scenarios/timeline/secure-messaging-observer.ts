import { concat, equalBytes, fromHex, toHex, u16 } from '../../protocol/bytes.ts';
import { buildCommandApdu, logicalChannel, tryParseCommandApdu, type CommandApdu } from '../../protocol/apdu/index.ts';
import { annotate } from '../../protocol/describe.ts';
import {
  cardCryptogram,
  commandMac,
  createSecureMessagingState,
  deriveSessionKeys,
  hasSecureMessaging,
  hostCryptogram,
  unwrapCommand,
  unwrapResponse,
  type SecureMessagingState,
  type StaticKeys,
} from '../../protocol/gp/scp03/index.ts';
import type { SecureMessaging } from './timeline-entry.ts';

/** A keyset the runner holds for the card: the static keys of one key version. */
export interface HeldKeys extends StaticKeys {
  kvn: number;
}

const INS_INITIALIZE_UPDATE = 0x50;
const INS_EXTERNAL_AUTHENTICATE = 0x82;
const INS_SELECT = 0xa4;

type ChannelState =
  | { phase: 'initializing'; hostChallenge: Uint8Array; kvn: number }
  | { phase: 'keyed'; sm: SecureMessagingState; hostChallenge: Uint8Array; cardChallenge: Uint8Array }
  | { phase: 'open'; sm: SecureMessagingState }
  | { phase: 'unknown'; reason: string };

/**
 * Follows SCP03 sessions from the outside, as a bystander holding the card's static keys (AMD-D §6.2,
 * §7.1): from INITIALIZE UPDATE's host challenge and the card's answer it derives the session keys and
 * checks the card cryptogram with each held keyset; EXTERNAL AUTHENTICATE's C-MAC verified sets the level
 * and the MAC chaining value; from then on each C-APDU is verified and deciphered as the card does it
 * and each R-APDU as the host does. A session opened with keys the runner does not hold stays wrapped
 * and says so. Sessions end with a SELECT, a power-on or reset, or a security status word.
 */
export function createSecureMessagingObserver(heldKeys: () => readonly HeldKeys[]) {
  const channels = new Map<number, ChannelState>();
  let pending: { channel: number; apdu: CommandApdu; plain?: Uint8Array } | undefined;

  const command = (hex: string): SecureMessaging | undefined => {
    pending = undefined;
    const bytes = fromHex(hex);
    const parsed = tryParseCommandApdu(bytes);
    if (!parsed.ok) return undefined;
    const apdu = parsed.apdu;
    // One session per logical channel (ISO 7816-4 §5.4.1: the class byte names it).
    const channel = logicalChannel(apdu.cla);
    pending = { channel, apdu };
    const state = channels.get(channel);
    if (apdu.ins === INS_INITIALIZE_UPDATE && (apdu.cla & 0x80) !== 0) {
      channels.set(channel, { phase: 'initializing', hostChallenge: apdu.data.slice(), kvn: apdu.p1 });
      return undefined;
    }
    if (apdu.ins === INS_SELECT && apdu.p1 === 0x04) channels.delete(channel);
    if (!state) return undefined;
    if (!hasSecureMessaging(apdu.cla)) {
      // The card counts a plain command of an open session too (AMD-D 6.2.6): so does the bystander.
      if (state.phase === 'open') {
        try {
          unwrapCommand(state.sm, apdu);
        } catch {
          // a plain command the card refuses at this level: its status word tells
        }
      }
      return undefined;
    }
    if (state.phase === 'unknown') return { status: 'wrapped', reason: state.reason };
    if (state.phase === 'keyed' && apdu.ins === INS_EXTERNAL_AUTHENTICATE) {
      const { sm } = state;
      const cryptogram = apdu.data.subarray(0, 8);
      sm.mcv = new Uint8Array(16);
      const mac = commandMac(sm, apdu.cla, apdu.ins, apdu.p1, apdu.p2, cryptogram);
      if (!equalBytes(cryptogram, hostCryptogram(sm.keys.sMac, state.hostChallenge, state.cardChallenge)) || !equalBytes(mac.subarray(0, 8), apdu.data.subarray(8, 16))) {
        channels.set(channel, { phase: 'unknown', reason: 'the host cryptogram or its C-MAC does not verify with the held keys' });
        return { status: 'failed', reason: 'the host cryptogram or its C-MAC does not verify with the held keys' };
      }
      sm.mcv = mac;
      sm.level = apdu.p1;
      sm.counter = 0n;
      channels.set(channel, { phase: 'open', sm });
      pending.plain = bytes;
      return { status: 'verified', plain: hex };
    }
    if (state.phase !== 'open') return undefined;
    try {
      const plain = unwrapCommand(state.sm, apdu);
      const plainBytes = buildCommandApdu({ cla: plain.cla, ins: plain.ins, p1: plain.p1, p2: plain.p2, data: plain.data, ne: plain.ne });
      pending.plain = plainBytes;
      return { status: 'verified', plain: toHex(plainBytes) };
    } catch (err) {
      channels.set(channel, { phase: 'unknown', reason: `the session broke: ${(err as Error).message}` });
      return { status: 'failed', reason: (err as Error).message };
    }
  };

  const response = (hex: string): SecureMessaging | undefined => {
    const p = pending;
    pending = undefined;
    if (!p) return undefined;
    const bytes = fromHex(hex);
    if (bytes.length < 2) return undefined;
    const sw = (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!;
    const state = channels.get(p.channel);
    if (state?.phase === 'initializing' && p.apdu.ins === INS_INITIALIZE_UPDATE) {
      channels.set(p.channel, keyedOrUnknown(state, bytes, sw, heldKeys()));
      return undefined;
    }
    if (!state || !hasSecureMessaging(p.apdu.cla)) return undefined;
    if (state.phase === 'unknown') return { status: 'wrapped', reason: state.reason };
    if (state.phase !== 'open') return undefined;
    if (p.apdu.ins === INS_EXTERNAL_AUTHENTICATE) return p.plain ? { status: 'verified', plain: hex, note: annotate(p.plain, bytes) } : undefined;
    if (sw === 0x6982 || sw === 0x6988) channels.delete(p.channel);
    try {
      const data = unwrapResponse(state.sm, bytes.subarray(0, bytes.length - 2), sw);
      const plain = concat(data, u16(sw));
      return { status: 'verified', plain: toHex(plain), note: p.plain ? annotate(p.plain, plain) : [] };
    } catch (err) {
      channels.set(p.channel, { phase: 'unknown', reason: `the session broke: ${(err as Error).message}` });
      return { status: 'failed', reason: (err as Error).message };
    }
  };

  return {
    command,
    response,
    /** Power-on, reset or power loss: every session ends. */
    reset(): void {
      channels.clear();
      pending = undefined;
    },
  };
}

export type SecureMessagingObserver = ReturnType<typeof createSecureMessagingObserver>;

/** The INITIALIZE UPDATE response (AMD-D Table 7-2) checked against each held keyset's card cryptogram. */
function keyedOrUnknown(state: { hostChallenge: Uint8Array; kvn: number }, bytes: Uint8Array, sw: number, held: readonly HeldKeys[]): ChannelState {
  if (sw !== 0x9000 || bytes.length < 2 + 29) return { phase: 'unknown', reason: 'INITIALIZE UPDATE refused' };
  const data = bytes.subarray(0, bytes.length - 2);
  const kvn = data[10]!;
  const cardChallenge = data.slice(13, 21);
  for (const keys of held) {
    if (keys.kvn !== kvn && state.kvn !== 0 && keys.kvn !== state.kvn) continue;
    const sessionKeys = deriveSessionKeys(keys, state.hostChallenge, cardChallenge);
    if (equalBytes(cardCryptogram(sessionKeys.sMac, state.hostChallenge, cardChallenge), data.subarray(21, 29))) {
      return { phase: 'keyed', sm: createSecureMessagingState(sessionKeys), hostChallenge: state.hostChallenge, cardChallenge };
    }
  }
  return { phase: 'unknown', reason: `the runner holds no keys of this session (key version ${kvn.toString(16).toUpperCase().padStart(2, '0')}): it stays wrapped` };
}
