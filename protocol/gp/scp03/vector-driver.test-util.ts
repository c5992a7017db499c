/**
 * Test-only: drives a recorded SCP03 trace (reference §10.8) through Scp03HostSession and
 * Scp03CardSession, so every vector is checked in both directions by the same code.
 */
import { expect } from 'vitest';
import { fromHex, readU16, toHex } from '../../bytes.ts';
import type { CommandApdu } from '../../apdu/types.ts';
import { seededRandom } from '../../crypto/random-source.ts';
import { Scp03CardSession } from './card-session.ts';
import { Scp03HostSession } from './host-session.ts';
import type { StaticKeys } from './session-keys.ts';
import { splitShortCommand } from './short-apdu.ts';

export interface TraceStep {
  plain: string;
  wrapped: string;
  /** The R-APDU on the wire (data ‖ [R-MAC] ‖ SW) and its plain form (data ‖ SW). */
  response?: { wire: string; plain: string };
}

export interface Trace {
  keys: StaticKeys;
  initializeUpdate: string;
  /** INITIALIZE UPDATE response data, without SW. */
  initializeUpdateResponse: string;
  externalAuthenticate: string;
  steps: TraceStep[];
  sessionKeys?: { sEnc: string; sMac: string; sRmac: string };
  /** AID for the pseudo-random challenge; absent when the trace's challenge must be forced. */
  aid?: string;
}

/** A short C-APDU as the card's dispatcher would hand it over (test stand-in for the APDU codec). */
export function toCommand(hexApdu: string): CommandApdu {
  const { cla, ins, p1, p2, data, le } = splitShortCommand(fromHex(hexApdu));
  return { cla, ins, p1, p2, data, ne: le === undefined ? undefined : le === 0 ? 256 : le, extended: false };
}

export function keysOf(enc: string, mac: string, dek: string): StaticKeys {
  return { enc: fromHex(enc), mac: fromHex(mac), dek: fromHex(dek) };
}

/** Host side: the session built from the keys reproduces every command and unwraps every response. */
export function runHost(trace: Trace): Scp03HostSession {
  const initUpdate = fromHex(trace.initializeUpdate);
  const host = new Scp03HostSession({ keys: trace.keys, kvn: initUpdate[2]!, hostChallenge: initUpdate.subarray(5, 13) });
  expect(toHex(host.initializeUpdateCommand())).toBe(trace.initializeUpdate);
  host.processInitializeUpdateResponse(fromHex(trace.initializeUpdateResponse));
  if (trace.sessionKeys) {
    const keys = host.sessionKeys!;
    expect({ sEnc: toHex(keys.sEnc), sMac: toHex(keys.sMac), sRmac: toHex(keys.sRmac) }).toEqual(trace.sessionKeys);
  }
  expect(toHex(host.externalAuthenticateCommand(fromHex(trace.externalAuthenticate)[2]!))).toBe(trace.externalAuthenticate);
  for (const step of trace.steps) {
    expect(toHex(host.wrap(fromHex(step.plain))), step.plain).toBe(step.wrapped);
    if (step.response) expect(toHex(host.unwrap(fromHex(step.response.wire)))).toBe(step.response.plain);
  }
  return host;
}

/** Card side: INITIALIZE UPDATE answers the recorded bytes; every wrapped command unwraps to the plain one. */
export function runCard(trace: Trace): Scp03CardSession {
  const initUpdate = fromHex(trace.initializeUpdate);
  const response = fromHex(trace.initializeUpdateResponse);
  const card = new Scp03CardSession();
  const answer = card.initializeUpdate({
    keys: trace.keys,
    kvn: response[10]!,
    i: response[12]!,
    kdd: response.subarray(0, 10),
    hostChallenge: initUpdate.subarray(5, 13),
    sequenceCounter: response.length === 32 ? (response[29]! << 16) | readU16(response, 30) : 0,
    aid: fromHex(trace.aid ?? ''),
    random: seededRandom('unused: i asks for a pseudo-random challenge'),
    ...(trace.aid === undefined ? { cardChallenge: response.subarray(13, 21) } : {}),
  });
  expect(toHex(answer)).toBe(trace.initializeUpdateResponse);
  card.externalAuthenticate(toCommand(trace.externalAuthenticate));
  expect(card.state).toBe('authenticated');
  expect(card.level).toBe(fromHex(trace.externalAuthenticate)[2]);
  for (const step of trace.steps) {
    expect(card.unwrap(toCommand(step.wrapped)), step.wrapped).toEqual(toCommand(step.plain));
    if (step.response) {
      const plain = fromHex(step.response.plain);
      const sw = readU16(plain, plain.length - 2);
      expect(toHex(card.wrap(plain.subarray(0, plain.length - 2), sw))).toBe(step.response.wire);
    }
  }
  return card;
}
