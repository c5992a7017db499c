import { describe, it, expect } from 'vitest';
import { concat, fromHex, toHex } from '../protocol/bytes.ts';
import { generateEcKeyPair, seededRandom, verifyEcdsa } from '../protocol/crypto/index.ts';
import { buildCap, readCap, loadFileDataBlock, loadFileDataBlockHash, buildLoadFile } from '../protocol/cap/index.ts';
import { signDap } from '../protocol/gp/dap.ts';
import {
  buildInstallForLoad,
  buildLoadCommands,
  buildInstallForInstall,
  buildInstallForMakeSelectable,
  buildDelete,
  buildSelect,
  buildComputeDigitalSignature,
  buildSetApplicationStatus,
  buildSetCardStatus,
} from '../protocol/gp/commands/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, type Card, type CardProfileInput } from './index.ts';
import { authenticate, swOf, dataOf } from '../test/support/card-host.ts';

const ISD = fromHex('A000000151000000');
const DAP = generateEcKeyPair('P-256', seededRandom('dap'));
const OTHER = generateEcKeyPair('P-256', seededRandom('someone else'));

function loadFileFor(packageAid: Uint8Array, appletAid: Uint8Array, signer = DAP.privateKey, codeSize = 200) {
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid, appletAids: [appletAid], codeSize })));
  const hash = loadFileDataBlockHash(lfdb);
  return { lfdb, hash, loadFile: buildLoadFile(lfdb, [{ sdAid: ISD, signature: signDap({ type: 'ecdsa', curve: 'P-256', privateKey: signer }, hash) }]) };
}

function cardWith(profile: CardProfileInput = { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: toHex(DAP.publicKey) } } }): { card: Card; send: (c: Uint8Array) => Uint8Array } {
  const card = createCard({ profile, seed: 4 });
  card.powerOn();
  return { card, send: authenticate(card, 0x03).send };
}

function load(send: (c: Uint8Array) => Uint8Array, f: ReturnType<typeof loadFileFor>, aid: Uint8Array): string[] {
  const out = [toHex(send(buildInstallForLoad({ loadFileAid: aid, lfdbHash: f.hash })))];
  for (const c of buildLoadCommands(f.loadFile, 239)) out.push(toHex(send(c)).slice(-4));
  return out;
}

describe('card content management refusals', () => {
  it('refuses INSTALL, LOAD and DELETE without a secure channel (6982)', () => {
    const card = createCard();
    card.powerOn();
    expect(toHex(card.transmit(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })))).toBe('6982');
    expect(toHex(card.transmit(buildDelete(ECHO_PACKAGE_AID)))).toBe('6982');
  });

  it('refuses LOAD without INSTALL [for load] and a block out of sequence (6985), after which nothing remains', () => {
    const { card, send } = cardWith();
    const f = loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID);
    const blocks = buildLoadCommands(f.loadFile, 100);
    expect(toHex(send(blocks[0]!))).toBe('6985');
    const free = card.store.freeBytes();
    expect(toHex(send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID, lfdbHash: f.hash })))).toBe('009000');
    expect(toHex(send(blocks[0]!))).toBe('009000');
    expect(toHex(send(blocks[2]!))).toBe('6985');
    expect(toHex(send(blocks[1]!))).toBe('6985'); // the load was abandoned
    expect(card.store.freeBytes()).toBe(free);
  });

  it('refuses a load whose DAP was signed by another key (6982) and stores nothing of it', () => {
    const { card, send } = cardWith();
    const free = card.store.freeBytes();
    const results = load(send, loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID, OTHER.privateKey), ECHO_PACKAGE_AID);
    expect(results.at(-1)).toBe('6982');
    expect(card.store.freeBytes()).toBe(free);
    expect(card.store.keys('elf/')).toEqual([]);
  });

  it('refuses a load without a DAP block when the profile mandates DAP (6982)', () => {
    const { send } = cardWith();
    const f = loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID);
    send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID, lfdbHash: f.hash }));
    const blocks = buildLoadCommands(buildLoadFile(f.lfdb), 239);
    let last = '';
    for (const b of blocks) last = toHex(send(b));
    expect(last).toBe('6982');
  });

  it('refuses a Load File whose LFDB does not match the hash of INSTALL [for load] (6A80)', () => {
    const { send } = cardWith({});
    const f = loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID);
    send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID, lfdbHash: new Uint8Array(32).fill(1) }));
    let last = '';
    for (const b of buildLoadCommands(f.loadFile, 239)) last = toHex(send(b));
    expect(last).toBe('6A80');
  });

  it('refuses INSTALL [for load] declaring more memory than is free (6A84) before storing anything', () => {
    const { card, send } = cardWith({ memory: { persistent: 2048 } });
    const free = card.store.freeBytes();
    expect(toHex(send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID, loadParameters: { nonVolatileCode: free + 1 } })))).toBe('6A84');
    expect(card.store.freeBytes()).toBe(free);
  });

  it('refuses the LOAD block that makes the Load File outgrow free memory (6A84)', () => {
    const { card, send } = cardWith({ memory: { persistent: 2048 } });
    const f = loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID, DAP.privateKey, 3000);
    const results = load(send, f, ECHO_PACKAGE_AID);
    expect(results).toContain('6A84');
    expect(card.store.keys('elf/')).toEqual([]);
  });

  it('refuses a second load of the same package, an install of an unknown module and a duplicate instance', () => {
    const { send } = cardWith({});
    expect(load(send, loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID), ECHO_PACKAGE_AID).at(-1)).toBe('9000');
    expect(toHex(send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })))).toBe('6985');
    expect(toHex(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: LOYALTY_APPLET_AID, instanceAid: fromHex('F0434152444599') })))).toBe('6A88');
    expect(toHex(send(buildInstallForInstall({ loadFileAid: LOYALTY_PACKAGE_AID, moduleAid: LOYALTY_APPLET_AID, instanceAid: fromHex('F0434152444599') })))).toBe('6A88');
    expect(swOf(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID })))).toBe(0x9000);
    expect(toHex(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID })))).toBe('6985');
    expect(toHex(send(buildDelete(fromHex('F0F0F0F0F0'))))).toBe('6A88');
    expect(toHex(send(buildDelete(ISD)))).toBe('6985');
  });

  it('refuses content changes while the card is locked (6985)', () => {
    const { card, send } = cardWith({});
    expect(toHex(send(buildSetCardStatus(0x7f)))).toBe('9000');
    const again = authenticate(card, 0x03, 'x').send;
    expect(toHex(again(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })))).toBe('6985');
  });

  it('refuses content management below the profile\'s minimum security level (6982)', () => {
    const card = createCard({ profile: { contentSecurityLevel: '03' } });
    card.powerOn();
    const { send } = authenticate(card, 0x01);
    expect(toHex(send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })))).toBe('6982');
  });
});

describe('applications', () => {
  function installEcho(): { card: Card; send: (c: Uint8Array) => Uint8Array } {
    const { card, send } = cardWith({});
    load(send, loadFileFor(ECHO_PACKAGE_AID, ECHO_APPLET_AID), ECHO_PACKAGE_AID);
    return { card, send };
  }

  it('an INSTALLED instance is not selectable until [for make selectable]', () => {
    const { card, send } = installEcho();
    expect(swOf(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID, makeSelectable: false })))).toBe(0x9000);
    expect(swOf(send(buildInstallForMakeSelectable({ instanceAid: ECHO_APPLET_AID })))).toBe(0x9000);
    expect(toHex(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe('9000');
    expect(toHex(card.transmit(fromHex('8010000003AABBCC00')))).toBe('AABBCC9000');
  });

  it('a locked instance is not selectable; unlocked it is again', () => {
    const { card, send } = installEcho();
    send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID }));
    expect(toHex(send(buildSetApplicationStatus(ECHO_APPLET_AID, true)))).toBe('9000');
    expect(toHex(send(buildSetApplicationStatus(ECHO_APPLET_AID, true)))).toBe('6985');
    expect(toHex(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe('6A82');
    const again = authenticate(card, 0x03, 'y').send;
    expect(toHex(again(buildSetApplicationStatus(ECHO_APPLET_AID, false)))).toBe('9000');
    expect(toHex(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe('9000');
  });

  it('an instance whose class has no applet model answers SELECT, then 6D00 to anything else', () => {
    const { card, send } = cardWith({});
    const pkg = fromHex('F0A1A2A3A4');
    const applet = fromHex('F0A1A2A3A401');
    load(send, loadFileFor(pkg, applet), pkg);
    send(buildInstallForInstall({ loadFileAid: pkg, moduleAid: applet, instanceAid: applet }));
    expect(toHex(card.transmit(buildSelect(applet)))).toBe('9000');
    expect(toHex(card.transmit(fromHex('8010000000')))).toBe('6D00');
  });

  it('loyalty: refuses a debit above the balance and a credit above the maximum, leaving the state unchanged', () => {
    const { card, send } = cardWith({});
    load(send, loadFileFor(LOYALTY_PACKAGE_AID, LOYALTY_APPLET_AID), LOYALTY_PACKAGE_AID);
    send(buildInstallForInstall({ loadFileAid: LOYALTY_PACKAGE_AID, moduleAid: LOYALTY_APPLET_AID, instanceAid: LOYALTY_APPLET_AID, applicationParameters: fromHex('000003E8') }));
    card.transmit(buildSelect(LOYALTY_APPLET_AID));
    expect(toHex(card.transmit(fromHex('8052000004000003E906')))).toBe('6985'); // 1001 > max 1000
    expect(toHex(card.transmit(fromHex('8054000004000000010 6'.replace(' ', ''))))).toBe('6985');
    expect(toHex(card.transmit(fromHex('805C000006')))).toBe('0000000000009000');
    expect(toHex(card.transmit(fromHex('80520000020001')))).toBe('6700');
    expect(toHex(card.transmit(fromHex('8052000004000000000 6'.replace(' ', ''))))).toBe('6A80');
  });
});

describe('card signature (PERFORM SECURITY OPERATION: COMPUTE DIGITAL SIGNATURE)', () => {
  it('signs a request of 600 bytes sent by command chaining; the signature verifies with the card key', () => {
    const card = createCard({ seed: 8 });
    card.powerOn();
    const request = new Uint8Array(600).map((_, i) => i & 0xff);
    const commands = buildComputeDigitalSignature(request);
    expect(commands.length).toBe(3);
    for (const c of commands.slice(0, -1)) expect(toHex(card.transmit(c))).toBe('9000');
    const r = card.transmit(commands.at(-1)!);
    expect(swOf(r)).toBe(0x9000);
    const sig = dataOf(r);
    expect(sig.length).toBe(64);
    const key = card.signingKey();
    expect(verifyEcdsa(key.curve, key.publicKey, request, sig)).toBe(true);
    expect(verifyEcdsa(key.curve, key.publicKey, concat(request, Uint8Array.of(0)), sig)).toBe(false);
  });

  it('is deterministic (RFC 6979): the same card and request give the same signature', () => {
    const sign = () => {
      const card = createCard({ seed: 8 });
      card.powerOn();
      return toHex(card.transmit(buildComputeDigitalSignature(fromHex('0102030405'))[0]!));
    };
    expect(sign()).toBe(sign());
  });

  it('refuses a chain interrupted by another command (6883) and chaining on commands that do not support it (6884)', () => {
    const card = createCard();
    card.powerOn();
    const [first] = buildComputeDigitalSignature(new Uint8Array(300));
    expect(toHex(card.transmit(first!))).toBe('9000');
    expect(toHex(card.transmit(fromHex('80CA9F7F00')))).toBe('6883');
    expect(toHex(card.transmit(fromHex('10A4040000')))).toBe('6884');
    expect(toHex(card.transmit(fromHex('002A9E9B0101')))).toBe('6A86');
  });
});
