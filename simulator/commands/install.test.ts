import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { SW } from '../../protocol/apdu/index.ts';
import { buildCap, readCap, loadFileDataBlock, buildLoadFile } from '../../protocol/cap/index.ts';
import { buildInstallForLoad, buildLoadCommands, buildInstallForInstall } from '../../protocol/gp/commands/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID, type Card } from '../index.ts';
import { authenticate, swOf } from '../../test/support/card-host.ts';

/** A default card (no DAP) with the echo package loaded, in an SCP03 session at level 03. */
function cardWithEchoPackage(): { card: Card; send: (c: Uint8Array) => Uint8Array } {
  const card = createCard({ seed: 7 });
  card.powerOn();
  const { send } = authenticate(card, 0x03);
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid: ECHO_PACKAGE_AID, appletAids: [ECHO_APPLET_AID], codeSize: 100 })));
  expect(swOf(send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })))).toBe(SW.SUCCESS);
  for (const c of buildLoadCommands(buildLoadFile(lfdb), 239)) expect(swOf(send(c))).toBe(SW.SUCCESS);
  return { card, send };
}

function installEcho(send: (c: Uint8Array) => Uint8Array, privileges: string, makeSelectable = true): number {
  return swOf(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID, privileges: fromHex(privileges), makeSelectable })));
}

describe('INSTALL privileges', () => {
  it('refuses the Card Reset privilege at INSTALL [for install] without make selectable (6A80) and installs nothing', () => {
    const { card, send } = cardWithEchoPackage();
    const free = card.store.freeBytes();
    expect(installEcho(send, '04', false)).toBe(SW.INCORRECT_DATA);
    expect(installEcho(send, '040000', false)).toBe(SW.INCORRECT_DATA);
    expect(card.store.freeBytes()).toBe(free);
    expect(card.registry.applications()).toEqual([]);
  });

  it('accepts the Card Reset privilege at INSTALL [for install and make selectable]', () => {
    const { card, send } = cardWithEchoPackage();
    expect(installEcho(send, '04')).toBe(SW.SUCCESS);
    expect(toHex(card.registry.applications()[0]!.privileges!)).toBe('040000');
  });

  it('still accepts INSTALL [for install] without privileges and without make selectable', () => {
    const { send } = cardWithEchoPackage();
    expect(installEcho(send, '00', false)).toBe(SW.SUCCESS);
  });
});
