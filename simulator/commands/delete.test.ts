import { describe, it, expect } from 'vitest';
import { concat, fromHex, readU16, toHex } from '../../protocol/bytes.ts';
import { buildCap, buildImportComponent, buildLoadFile, COMPONENT_TAG, JAVACARD_FRAMEWORK_AID, loadFileDataBlock, readCap } from '../../protocol/cap/index.ts';
import { buildDelete, buildInstallForInstall, buildInstallForLoad, buildLoadCommands } from '../../protocol/gp/commands/index.ts';
import { createCard, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID } from '../index.ts';
import { authenticate } from '../../test/support/card-host.ts';

/** A package that imports the loyalty package 1.0 besides javacard.framework (its Import component replaced). */
const USER_PACKAGE_AID = fromHex('F04341524455');
const USER_APPLET_AID = fromHex('F0434152445501');

function lfdbOf(packageAid: Uint8Array, appletAid: Uint8Array, imports: Uint8Array[] = []): Uint8Array {
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid, appletAids: [appletAid], codeSize: 0 })));
  const parts: Uint8Array[] = [];
  for (let off = 0; off < lfdb.length; ) {
    const end = off + 3 + readU16(lfdb, off + 1);
    const component = lfdb.subarray(off, end);
    const importsAll = [{ aid: JAVACARD_FRAMEWORK_AID, major: 1, minor: 3 }, ...imports.map((aid) => ({ aid, major: 1, minor: 0 }))];
    parts.push(component[0] === COMPONENT_TAG.Import ? buildImportComponent(importsAll) : component);
    off = end;
  }
  return concat(...parts);
}

function cardWithImportingPackage() {
  const card = createCard({ seed: 7 });
  card.powerOn();
  const { send } = authenticate(card, 0x01);
  const load = (aid: Uint8Array, lfdb: Uint8Array): string => {
    send(buildInstallForLoad({ loadFileAid: aid }));
    let last = '';
    for (const c of buildLoadCommands(buildLoadFile(lfdb), 239)) last = toHex(send(c));
    return last.slice(-4);
  };
  expect(load(LOYALTY_PACKAGE_AID, lfdbOf(LOYALTY_PACKAGE_AID, LOYALTY_APPLET_AID))).toBe('9000');
  expect(load(USER_PACKAGE_AID, lfdbOf(USER_PACKAGE_AID, USER_APPLET_AID, [LOYALTY_PACKAGE_AID]))).toBe('9000');
  return { card, send };
}

describe('DELETE of an Executable Load File another one imports (GPCS 11.2.2.3)', () => {
  it('refuses DELETE of an ELF another loaded ELF imports (6985), P2 00 and 80, and changes nothing', () => {
    const { card, send } = cardWithImportingPackage();
    const before = card.store.keys('');
    const free = card.store.freeBytes();
    expect(toHex(send(buildDelete(LOYALTY_PACKAGE_AID)))).toBe('6985');
    expect(toHex(send(buildDelete(LOYALTY_PACKAGE_AID, { related: true })))).toBe('6985');
    expect(card.store.keys('')).toEqual(before);
    expect(card.store.freeBytes()).toBe(free);
  });

  it('still installs an instance of the importing package after the refused DELETE', () => {
    const { send } = cardWithImportingPackage();
    expect(toHex(send(buildDelete(LOYALTY_PACKAGE_AID, { related: true })))).toBe('6985');
    const r = send(buildInstallForInstall({ loadFileAid: USER_PACKAGE_AID, moduleAid: USER_APPLET_AID, instanceAid: USER_APPLET_AID, makeSelectable: true }));
    expect(toHex(r).slice(-4)).toBe('9000');
  });

  it('deletes the imported ELF once the importing one is gone', () => {
    const { send } = cardWithImportingPackage();
    expect(toHex(send(buildDelete(USER_PACKAGE_AID))).slice(-4)).toBe('9000');
    expect(toHex(send(buildDelete(LOYALTY_PACKAGE_AID))).slice(-4)).toBe('9000');
  });
});
