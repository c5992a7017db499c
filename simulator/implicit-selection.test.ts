import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { SW } from '../protocol/apdu/index.ts';
import { buildInstallForInstall, buildInstallForMakeSelectable, buildSelect, buildDelete, buildSetApplicationStatus, buildSetCardStatus } from '../protocol/gp/commands/index.ts';
import { ECHO_APPLET_AID, ECHO_PACKAGE_AID, type Card } from './index.ts';
import { authenticate, cardWithEchoPackage, swOf } from '../test/support/card-host.ts';

const ISD = fromHex('A000000151000000');
const SECOND = fromHex('F0434152444502');
/** A command the echo applet answers with its data and the ISD refuses (INS 10 is no ISD command: 6D00). */
const ECHO = fromHex('8010000003AABBCC00');

function install(send: (c: Uint8Array) => Uint8Array, instanceAid: Uint8Array, privileges: string, makeSelectable = true): number {
  return swOf(send(buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid, privileges: fromHex(privileges), makeSelectable })));
}

function privilegesOf(card: Card, aid: Uint8Array): string {
  const entry = card.registry.isIsd(aid) ? card.registry.isd() : card.registry.applications().find((a) => toHex(a.aid) === toHex(aid));
  return toHex(entry!.privileges!);
}

describe('implicit selection: the Card Reset privilege (GPCS 6.6.1.5, 11.9.2)', () => {
  it('after a warm reset the application installed with Card Reset is selected, not the ISD', () => {
    const { card, send } = cardWithEchoPackage(8);
    expect(install(send, ECHO_APPLET_AID, '04')).toBe(SW.SUCCESS);
    card.reset();
    expect(toHex(card.selectedAid)).toBe(toHex(ECHO_APPLET_AID));
    expect(card.hasTag('selected.application')).toBe(true);
    expect(toHex(card.transmit(ECHO))).toBe('AABBCC9000');
    expect(toHex(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe('9000');
    expect(toHex(card.transmit(ECHO))).toBe('AABBCC9000');
    expect(swOf(card.transmit(buildSelect(ISD)))).toBe(SW.SUCCESS);
    expect(toHex(card.transmit(ECHO))).toBe('6D00');
  });

  it('after a cold power-up too, and the ISD no longer holds Card Reset', () => {
    const { card, send } = cardWithEchoPackage(8);
    expect(privilegesOf(card, ISD)).toBe('9EFE80');
    expect(install(send, ECHO_APPLET_AID, '040000')).toBe(SW.SUCCESS);
    expect(privilegesOf(card, ISD)).toBe('9AFE80');
    card.powerOff();
    card.powerOn();
    expect(toHex(card.transmit(ECHO))).toBe('AABBCC9000');
  });

  it('Card Reset granted at INSTALL [for make selectable] is recorded and takes effect at the next reset', () => {
    const { card, send } = cardWithEchoPackage(8);
    expect(install(send, ECHO_APPLET_AID, '00', false)).toBe(SW.SUCCESS);
    expect(swOf(send(buildInstallForMakeSelectable({ instanceAid: ECHO_APPLET_AID, privileges: fromHex('04') })))).toBe(SW.SUCCESS);
    expect(privilegesOf(card, ECHO_APPLET_AID)).toBe('040000');
    expect(card.hasTag('selected.isd')).toBe(true); // nothing changes before the reset
    card.reset();
    expect(toHex(card.transmit(ECHO))).toBe('AABBCC9000');
  });

  it('a second application granted Card Reset takes it from the first', () => {
    const { card, send } = cardWithEchoPackage(8);
    expect(install(send, ECHO_APPLET_AID, '04')).toBe(SW.SUCCESS);
    expect(install(send, SECOND, '04')).toBe(SW.SUCCESS);
    expect(privilegesOf(card, ECHO_APPLET_AID)).toBe('000000');
    expect(privilegesOf(card, SECOND)).toBe('040000');
    card.reset();
    expect(toHex(card.selectedAid)).toBe(toHex(SECOND));
  });

  it('the ISD is selected after a reset when the holder is locked, deleted, or the card is locked', () => {
    const { card, send } = cardWithEchoPackage(8);
    expect(install(send, ECHO_APPLET_AID, '04')).toBe(SW.SUCCESS);
    expect(swOf(send(buildSetApplicationStatus(ECHO_APPLET_AID, true)))).toBe(SW.SUCCESS);
    card.reset();
    expect(card.hasTag('selected.isd')).toBe(true);
    expect(toHex(card.transmit(ECHO))).toBe('6D00');

    const again = authenticate(card, 0x03, 'unlock').send;
    expect(swOf(again(buildSetApplicationStatus(ECHO_APPLET_AID, false)))).toBe(SW.SUCCESS);
    expect(swOf(again(buildSetCardStatus(0x7f)))).toBe(SW.SUCCESS);
    card.reset();
    expect(card.hasTag('selected.isd')).toBe(true);

    expect(swOf(authenticate(card, 0x03, 'unlock card').send(buildSetCardStatus(0x0f)))).toBe(SW.SUCCESS);
    card.reset();
    expect(toHex(card.transmit(ECHO))).toBe('AABBCC9000');
    expect(swOf(card.transmit(buildSelect(ISD)))).toBe(SW.SUCCESS);
    expect(swOf(authenticate(card, 0x03, 'delete').send(buildDelete(ECHO_APPLET_AID)))).toBe(SW.SUCCESS);
    expect(privilegesOf(card, ISD)).toBe('9EFE80');
    card.reset();
    expect(card.hasTag('selected.isd')).toBe(true);
  });
});
