import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { SW } from '../../protocol/apdu/index.ts';
import { buildInstallForInstall, buildInstallForMakeSelectable } from '../../protocol/gp/commands/index.ts';
import { parseTlv, findTlv } from '../../protocol/tlv/index.ts';
import { ECHO_APPLET_AID, ECHO_PACKAGE_AID, type Card } from '../index.ts';
import { cardWithEchoPackage, swOf, dataOf } from '../../test/support/card-host.ts';

function installEcho(send: (c: Uint8Array) => Uint8Array, privileges: string, makeSelectable = true): number {
  return swOf(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID, privileges: fromHex(privileges), makeSelectable })));
}

describe('INSTALL privileges', () => {
  it('refuses the Card Reset privilege at INSTALL [for install] without make selectable (6A80) and installs nothing', () => {
    const { card, send } = cardWithEchoPackage(7);
    const free = card.store.freeBytes();
    expect(installEcho(send, '04', false)).toBe(SW.INCORRECT_DATA);
    expect(installEcho(send, '040000', false)).toBe(SW.INCORRECT_DATA);
    expect(card.store.freeBytes()).toBe(free);
    expect(card.registry.applications()).toEqual([]);
  });

  it('accepts the Card Reset privilege at INSTALL [for install and make selectable]', () => {
    const { card, send } = cardWithEchoPackage(7);
    expect(installEcho(send, '04')).toBe(SW.SUCCESS);
    expect(toHex(card.registry.applications()[0]!.privileges!)).toBe('040000');
  });

  it('still accepts INSTALL [for install] without privileges and without make selectable', () => {
    const { send } = cardWithEchoPackage(7);
    expect(installEcho(send, '00', false)).toBe(SW.SUCCESS);
  });

  it('refuses Card Lock and Final Application, which the Card Capability Information does not offer (6A80)', () => {
    const { card, send } = cardWithEchoPackage(7);
    const free = card.store.freeBytes();
    expect(installEcho(send, '10')).toBe(SW.INCORRECT_DATA);
    expect(installEcho(send, '100000')).toBe(SW.INCORRECT_DATA);
    expect(installEcho(send, '000200')).toBe(SW.INCORRECT_DATA);
    expect(card.store.freeBytes()).toBe(free);
  });

  it('refuses at INSTALL [for make selectable] a privilege the card does not offer (6A80)', () => {
    const { send } = cardWithEchoPackage(7);
    expect(installEcho(send, '00', false)).toBe(SW.SUCCESS);
    expect(swOf(send(buildInstallForMakeSelectable({ instanceAid: ECHO_APPLET_AID, privileges: fromHex('10') })))).toBe(SW.INCORRECT_DATA);
    expect(swOf(send(buildInstallForMakeSelectable({ instanceAid: ECHO_APPLET_AID, privileges: fromHex('000200') })))).toBe(SW.INCORRECT_DATA);
  });

  it('accepts exactly the privileges GET DATA 67 offers to applications (tag 82), bit by bit', () => {
    const { card, send } = cardWithEchoPackage(7);
    const cci = parseTlv(dataOf(send(fromHex('80CA006700'))), { recursive: true })[0]!.children ?? [];
    const offered = findTlv(cci, 0x82)!.value;
    expect(toHex(offered)).toBe('040000');
    for (let byte = 0; byte < 3; byte++) {
      for (let b = 0; b < 8; b++) {
        const privileges = new Uint8Array(3);
        privileges[byte] = 1 << b;
        const instanceAid = Uint8Array.of(...ECHO_APPLET_AID, byte * 8 + b);
        const sw = swOf(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid, privileges })));
        expect([toHex(privileges), sw]).toEqual([toHex(privileges), (offered[byte]! & (1 << b)) !== 0 ? SW.SUCCESS : SW.INCORRECT_DATA]);
      }
    }
  });
});
