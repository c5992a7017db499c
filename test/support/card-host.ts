import { expect } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { buildCap, buildLoadFile, loadFileDataBlock, loadFileDataBlockHash, readCap } from '../../protocol/cap/index.ts';
import { buildInstallForInstall, buildInstallForLoad, buildLoadCommands, buildSelect } from '../../protocol/gp/commands/index.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { generateEcKeyPair } from '../../protocol/crypto/index.ts';
import { signDap } from '../../protocol/gp/dap.ts';
import { SW } from '../../protocol/apdu/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, type Card } from '../../simulator/index.ts';

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

const ISD = fromHex('A000000151000000');
/** The DAP key of the loyalty test cards: the card verifies the package's DAP with it. */
export const LOYALTY_TEST_DAP = generateEcKeyPair('P-256', seededRandom('loyalty-dap'));

/** A card (seeded) with the loyalty applet loaded with its DAP, installed (maximum balance 1000) and selected. */
export function cardWithLoyaltyApplet(seed: number): Card {
  const card = createCard({ profile: { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: toHex(LOYALTY_TEST_DAP.publicKey) } } }, seed });
  card.powerOn();
  const { send } = authenticate(card, 0x03);
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid: LOYALTY_PACKAGE_AID, appletAids: [LOYALTY_APPLET_AID], codeSize: 200 })));
  const hash = loadFileDataBlockHash(lfdb);
  const loadFile = buildLoadFile(lfdb, [{ sdAid: ISD, signature: signDap({ type: 'ecdsa', curve: 'P-256', privateKey: LOYALTY_TEST_DAP.privateKey }, hash) }]);
  send(buildInstallForLoad({ loadFileAid: LOYALTY_PACKAGE_AID, lfdbHash: hash }));
  for (const c of buildLoadCommands(loadFile, 239)) send(c);
  const installed = send(buildInstallForInstall({ loadFileAid: LOYALTY_PACKAGE_AID, moduleAid: LOYALTY_APPLET_AID, instanceAid: LOYALTY_APPLET_AID, applicationParameters: fromHex('000003E8') }));
  expect(toHex(installed.slice(-2))).toBe('9000');
  expect(toHex(card.transmit(buildSelect(LOYALTY_APPLET_AID)))).toBe('9000');
  return card;
}
