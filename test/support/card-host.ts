import { expect } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { buildCap, buildLoadFile, loadFileDataBlock, readCap } from '../../protocol/cap/index.ts';
import { buildInstallForLoad, buildLoadCommands } from '../../protocol/gp/commands/index.ts';
import { SW } from '../../protocol/apdu/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID, type Card } from '../../simulator/index.ts';

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

/** A default card (no DAP) with the echo package loaded; `send` goes through an SCP03 session at level 03. */
export function cardWithEchoPackage(seed: number): { card: Card; send: (c: Uint8Array) => Uint8Array } {
  const card = createCard({ seed });
  card.powerOn();
  const { send } = authenticate(card, 0x03);
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid: ECHO_PACKAGE_AID, appletAids: [ECHO_APPLET_AID], codeSize: 100 })));
  expect(swOf(send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })))).toBe(SW.SUCCESS);
  for (const c of buildLoadCommands(buildLoadFile(lfdb), 239)) expect(swOf(send(c))).toBe(SW.SUCCESS);
  return { card, send };
}
