import { expect } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import type { Card } from '../../simulator/index.ts';

/** The status word of an R-APDU. */
export function swOf(r: Uint8Array): number {
  return (r[r.length - 2]! << 8) | r[r.length - 1]!;
}

/** Data of an R-APDU (without SW). */
export function dataOf(r: Uint8Array): Uint8Array {
  return r.subarray(0, r.length - 2);
}

/** Opens an SCP03 session with the card's first keyset at `level`; returns a function sending plain commands through it. */
export function authenticate(card: Card, level = 0x03, seed = 'host'): { host: Scp03HostSession; send: (plain: Uint8Array) => Uint8Array } {
  const k = card.profile.keys[0]!;
  const host = new Scp03HostSession({ keys: { enc: k.enc, mac: k.mac, dek: k.dek }, kvn: k.kvn, random: seededRandom(seed) });
  const r = card.transmit(host.initializeUpdateCommand());
  expect(toHex(r.subarray(r.length - 2))).toBe('9000');
  host.processInitializeUpdateResponse(dataOf(r));
  expect(toHex(card.transmit(host.externalAuthenticateCommand(level)))).toBe('9000');
  return { host, send: (plain) => host.unwrap(card.transmit(host.wrap(plain))) };
}
