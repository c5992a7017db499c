import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildCommandApdu, INS } from '../../protocol/apdu/index.ts';
import { buildCap, buildLoadFile, loadFileDataBlock, readCap } from '../../protocol/cap/index.ts';
import { buildGetStatus, buildInstallForInstall, buildInstallForLoad, buildLoadCommands, buildSelect } from '../../protocol/gp/commands/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID } from '../index.ts';
import { authenticate } from '../../test/support/card-host.ts';

const ISD = fromHex('A000000151000000');

function setStatus(p1: number, p2: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return buildCommandApdu({ cla: 0x80, ins: INS.SET_STATUS, p1, p2, data });
}

/** The default card (SECURED, ISD A000000151000000) in a C-MAC session. */
function securedCard() {
  const card = createCard({ seed: 9 });
  card.powerOn();
  const send = authenticate(card, 0x01).send;
  const cardLifeCycle = () => toHex(send(buildGetStatus({ subset: 0x80 }))).match(/9F7001(..)/)![1];
  return { card, send, cardLifeCycle };
}

/** The card with the echo package and its instance F0434152444501, SELECTABLE (07), associated with the ISD. */
function cardWithEcho() {
  const { card, send } = securedCard();
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid: ECHO_PACKAGE_AID, appletAids: [ECHO_APPLET_AID], codeSize: 0 })));
  send(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID }));
  for (const c of buildLoadCommands(buildLoadFile(lfdb), 239)) send(c);
  const r = send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID, makeSelectable: true }));
  expect(toHex(r).slice(-4)).toBe('9000');
  const lifeCycle = () => toHex(send(buildGetStatus({ subset: 0x40 }))).match(/9F7001(..)/)![1];
  return { card, send, lifeCycle };
}

describe('SET STATUS (GPCS 11.10)', () => {
  it('accepts the ISD AID in the data field of P1 80 and ignores it (GPCS 11.10.2.3): SECURED → CARD_LOCKED', () => {
    const { send, cardLifeCycle } = securedCard();
    expect(toHex(send(setStatus(0x80, 0x7f, ISD)))).toBe('9000');
    expect(cardLifeCycle()).toBe('7F');
  });

  it('locks an application with any P2 that has b8 set (83, as GPShell codes LOCKED) and unlocks with b8 clear (GPCS 11.10.2.2)', () => {
    const { card, send, lifeCycle } = cardWithEcho();
    expect(toHex(send(setStatus(0x40, 0x83, ECHO_APPLET_AID)))).toBe('9000');
    expect(lifeCycle()).toBe('87');
    expect(toHex(send(setStatus(0x40, 0x83, ECHO_APPLET_AID)))).toBe('6985'); // already LOCKED
    expect(toHex(send(setStatus(0x40, 0x07, ECHO_APPLET_AID)))).toBe('9000');
    expect(lifeCycle()).toBe('07');
    expect(toHex(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe('9000');
  });

  it('P1 60 with the ISD locks and unlocks the applications associated with it, the card life cycle unchanged (GPCS 11.10.2.1)', () => {
    const { card, send, lifeCycle } = cardWithEcho();
    const cardLifeCycle = () => toHex(send(buildGetStatus({ subset: 0x80 }))).match(/9F7001(..)/)![1];
    expect(toHex(send(setStatus(0x60, 0x80, ISD)))).toBe('9000');
    expect(lifeCycle()).toBe('87');
    expect(cardLifeCycle()).toBe('0F');
    expect(toHex(send(setStatus(0x60, 0x80, ISD)))).toBe('6985'); // every one already LOCKED
    expect(toHex(send(setStatus(0x60, 0x00, ISD)))).toBe('9000');
    expect(lifeCycle()).toBe('07');
    expect(toHex(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe('9000');
  });

  it('P1 60 refuses an application, which is no Security Domain (6A80), and an unknown AID (6A88)', () => {
    const { send } = cardWithEcho();
    expect(toHex(send(setStatus(0x60, 0x80, ECHO_APPLET_AID)))).toBe('6A80');
    expect(toHex(send(setStatus(0x60, 0x80, fromHex('D0D1D2D3D4D50101'))))).toBe('6A88');
  });
});
