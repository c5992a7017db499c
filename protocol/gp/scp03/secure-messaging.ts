import { concat, equalBytes, u16 } from '../../bytes.ts';
import type { CommandApdu } from '../../apdu/types.ts';
import { aesCbcDecrypt, aesCbcEncrypt, aesEcbEncryptBlock } from '../../crypto/aes.ts';
import { aesCmac } from '../../crypto/aes-cmac.ts';
import { padIso9797M2, unpadIso9797M2 } from '../../crypto/padding.ts';
import { hasSecureMessaging, macCla, plainCla, secureCla } from './class-byte.ts';
import { Scp03Error } from './scp03-error.ts';
import type { SessionKeys } from './session-keys.ts';

/** Security level bits (AMD-D Table 7-3, GP API SecureChannel constants). */
export const SECURITY_LEVEL = { NONE: 0x00, C_MAC: 0x01, C_DECRYPTION: 0x02, R_MAC: 0x10, R_ENCRYPTION: 0x20 } as const;

/** The P1 values EXTERNAL AUTHENTICATE may carry (AMD-D Table 7-3). */
export const VALID_SECURITY_LEVELS: readonly number[] = [0x00, 0x01, 0x03, 0x11, 0x13, 0x33];

/**
 * The running state of one Secure Channel Session, shared in shape by host and card. The functions
 * below mutate it: `mcv` is the MAC chaining value (AMD-D 6.2.3), `counter` the encryption counter
 * (AMD-D 6.2.6), advanced once per command whatever its content.
 */
export interface SecureMessagingState {
  keys: SessionKeys;
  level: number;
  mcv: Uint8Array;
  counter: bigint;
}

/** A fresh state as INITIALIZE UPDATE leaves it: MCV 16×00, counter 0, no level yet. */
export function createSecureMessagingState(keys: SessionKeys): SecureMessagingState {
  return { keys, level: SECURITY_LEVEL.NONE, mcv: new Uint8Array(16), counter: 0n };
}

/** The counter as a 16-byte big-endian block; R-ENC replaces its first byte with 80 (AMD-D 6.2.7). */
function counterBlock(counter: bigint, firstByte?: number): Uint8Array {
  const block = new Uint8Array(16);
  let rest = counter;
  for (let i = 15; i >= 0 && rest > 0n; i--, rest >>= 8n) block[i] = Number(rest & 0xffn);
  if (firstByte !== undefined) block[0] = firstByte;
  return block;
}

/**
 * The full 16-byte CMAC of a command (AMD-D 6.2.4): S-MAC over MCV | CLA' INS P1 P2 | Lc+8 | data,
 * CLA' with the channel cleared and the SM bit set. Le never takes part. Does not touch the state.
 */
/**
 * C-ENC / R-ENC (AMD-D 6.2.6, 6.2.7): AES-CBC under S-ENC with ICV = E(S-ENC, counter block). In one CBC
 * pass with a zero IV over counter block ‖ data: the first output block is the ICV, and each following one
 * is E(Pi ⊕ previous), i.e. the CBC encryption of the data with that ICV — the ICV is not sent.
 */
function encryptWithIcv(key: Uint8Array, counter: Uint8Array, padded: Uint8Array): Uint8Array {
  const input = new Uint8Array(16 + padded.length);
  input.set(counter, 0);
  input.set(padded, 16);
  return aesCbcEncrypt(key, ZERO_BLOCK, input).subarray(16);
}
const ZERO_BLOCK = new Uint8Array(16);

export function commandMac(state: SecureMessagingState, cla: number, ins: number, p1: number, p2: number, body: Uint8Array): Uint8Array {
  const lc = body.length + 8;
  // Beyond a short Lc the length goes on 3 bytes, as for the virtual APDU of GPCS 11.1.5.1.
  const length = lc <= 0xff ? Uint8Array.of(lc) : Uint8Array.of(0x00, lc >> 8, lc & 0xff);
  return aesCmac(state.keys.sMac, concat(state.mcv, Uint8Array.of(macCla(cla), ins, p1, p2), length, body));
}

/**
 * Host side: protects a plain command per the session level (C-DECRYPTION then C-MAC, AMD-D
 * 6.2.4/6.2.6) and returns CLA INS P1 P2 Lc data [C-MAC]; the caller appends Le.
 */
export function wrapCommand(state: SecureMessagingState, cla: number, ins: number, p1: number, p2: number, data: Uint8Array): Uint8Array {
  state.counter += 1n;
  if (!(state.level & SECURITY_LEVEL.C_MAC)) {
    if (data.length > 0xff) throw new Scp03Error('BAD_LENGTH', `command data of ${data.length} bytes does not fit a short APDU`);
    return concat(Uint8Array.of(cla, ins, p1, p2), data.length > 0 ? Uint8Array.of(data.length) : new Uint8Array(0), data);
  }
  let body = data;
  if (state.level & SECURITY_LEVEL.C_DECRYPTION && data.length > 0) {
    body = encryptWithIcv(state.keys.sEnc, counterBlock(state.counter), padIso9797M2(data));
  }
  if (body.length + 8 > 0xff) throw new Scp03Error('BAD_LENGTH', `protected data of ${body.length + 8} bytes does not fit a short APDU`);
  const mac = commandMac(state, cla, ins, p1, p2, body);
  state.mcv = mac;
  return concat(Uint8Array.of(secureCla(cla), ins, p1, p2, body.length + 8), body, mac.subarray(0, 8));
}

/**
 * Card side: checks and strips the protection of a command (AMD-D 6.2.4/6.2.6, rules of 5.6):
 * verifies the C-MAC against the MCV, chains the MCV, advances the counter, deciphers the data.
 * Returns the plain command with the SM indication cleared (84 → 80, 04 → 00), Le preserved.
 */
export function unwrapCommand(state: SecureMessagingState, apdu: CommandApdu): CommandApdu {
  const secured = hasSecureMessaging(apdu.cla);
  if (state.level & SECURITY_LEVEL.C_MAC && !secured) throw new Scp03Error('SECURITY_LEVEL', 'command without C-MAC in a C-MAC session');
  state.counter += 1n;
  // NO_SECURITY_LEVEL after authentication: plain commands pass; an SM command still gets checked.
  if (!secured) return apdu;
  // A command that announces secure messaging but cannot carry a C-MAC is a security failure (AMD-D 5.6), not a format error.
  if (apdu.data.length < 8) throw new Scp03Error('MAC_MISMATCH', `secured command with ${apdu.data.length} data bytes has no room for a C-MAC`);
  const body = apdu.data.subarray(0, apdu.data.length - 8);
  const mac = commandMac(state, apdu.cla, apdu.ins, apdu.p1, apdu.p2, body);
  if (!equalBytes(mac.subarray(0, 8), apdu.data.subarray(apdu.data.length - 8))) throw new Scp03Error('MAC_MISMATCH', 'C-MAC verification failed');
  state.mcv = mac;
  let data = body;
  if (state.level & SECURITY_LEVEL.C_DECRYPTION && body.length > 0) {
    // Data that is not whole AES blocks was not enciphered: protection below the session level (AMD-D 5.6), 6982.
    if (body.length % 16 !== 0) throw new Scp03Error('SECURITY_LEVEL', `enciphered data of ${body.length} bytes is not whole AES blocks`);
    const icv = aesEcbEncryptBlock(state.keys.sEnc, counterBlock(state.counter));
    const unpadded = unpadIso9797M2(aesCbcDecrypt(state.keys.sEnc, icv, body));
    if (unpadded === null) throw new Scp03Error('BAD_PADDING', 'deciphered command data is not ISO 9797-1 M2 padded');
    data = unpadded;
  }
  return { ...apdu, cla: plainCla(apdu.cla), data };
}

/** True for the status words that get R-MAC/R-ENC: 9000, 62xx, 63xx (AMD-D 6.2.5). */
export function isProtectedStatus(sw: number): boolean {
  return sw === 0x9000 || sw >> 8 === 0x62 || sw >> 8 === 0x63;
}

/**
 * Card side: the full R-APDU for a response (AMD-D 6.2.5/6.2.7): data enciphered if R-ENC and
 * non-empty, then R-MAC over MCV | data | SW if R-MAC. Error status words go back bare.
 */
export function wrapResponse(state: SecureMessagingState, data: Uint8Array, sw: number): Uint8Array {
  if (!isProtectedStatus(sw)) return u16(sw);
  let body = data;
  if (state.level & SECURITY_LEVEL.R_ENCRYPTION && data.length > 0) {
    body = encryptWithIcv(state.keys.sEnc, counterBlock(state.counter, 0x80), padIso9797M2(data));
  }
  if (!(state.level & SECURITY_LEVEL.R_MAC)) return concat(body, u16(sw));
  const rmac = aesCmac(state.keys.sRmac, concat(state.mcv, body, u16(sw))).subarray(0, 8);
  return concat(body, rmac, u16(sw));
}

/**
 * Host side: verifies the R-MAC and deciphers R-ENC data of a response (AMD-D 6.2.5/6.2.7) and
 * returns the plain data. Error status words carry nothing to check.
 */
export function unwrapResponse(state: SecureMessagingState, dataWithMac: Uint8Array, sw: number): Uint8Array {
  if (!isProtectedStatus(sw)) return dataWithMac;
  let body = dataWithMac;
  if (state.level & SECURITY_LEVEL.R_MAC) {
    if (body.length < 8) throw new Scp03Error('BAD_LENGTH', `response of ${body.length} bytes has no room for an R-MAC`);
    body = dataWithMac.subarray(0, dataWithMac.length - 8);
    const rmac = aesCmac(state.keys.sRmac, concat(state.mcv, body, u16(sw))).subarray(0, 8);
    if (!equalBytes(rmac, dataWithMac.subarray(body.length))) throw new Scp03Error('MAC_MISMATCH', 'R-MAC verification failed');
  }
  if (state.level & SECURITY_LEVEL.R_ENCRYPTION && body.length > 0) {
    if (body.length % 16 !== 0) throw new Scp03Error('BAD_LENGTH', `enciphered response of ${body.length} bytes is not whole AES blocks`);
    const icv = aesEcbEncryptBlock(state.keys.sEnc, counterBlock(state.counter, 0x80));
    const unpadded = unpadIso9797M2(aesCbcDecrypt(state.keys.sEnc, icv, body));
    if (unpadded === null) throw new Scp03Error('BAD_PADDING', 'deciphered response data is not ISO 9797-1 M2 padded');
    body = unpadded;
  }
  return body;
}
