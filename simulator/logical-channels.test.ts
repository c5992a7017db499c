import { describe, it, expect } from 'vitest';
import { toHex } from '../protocol/bytes.ts';
import { seededRandom } from '../protocol/crypto/random-source.ts';
import { Scp03HostSession } from '../protocol/gp/scp03/index.ts';
import {
  buildComputeDigitalSignature,
  buildGetData,
  buildGetStatus,
  buildManageChannelClose,
  buildManageChannelOpen,
  buildSelect,
  buildSetCardStatus,
  onChannel,
} from '../protocol/gp/commands/index.ts';
import { SW } from '../protocol/apdu/index.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID, type Card } from './index.ts';
import { cardWithEchoPackage, dataOf, swOf } from '../test/support/card-host.ts';
import { buildInstallForInstall } from '../protocol/gp/commands/index.ts';

const installEcho = () => buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID, makeSelectable: true });

function powered(seed = 1): Card {
  const card = createCard({ seed });
  card.powerOn();
  return card;
}

/** An SCP03 session opened on logical channel `channel`. */
function authenticateOn(card: Card, channel: number, level = 0x03, seed = `host${channel}`) {
  const k = card.profile.keys[0]!;
  const host = new Scp03HostSession({ keys: { enc: k.enc, mac: k.mac, dek: k.dek }, kvn: k.kvn, random: seededRandom(seed) });
  const r = card.transmit(onChannel(host.initializeUpdateCommand(), channel));
  expect(toHex(r.subarray(r.length - 2))).toBe('9000');
  host.processInitializeUpdateResponse(dataOf(r));
  expect(toHex(card.transmit(onChannel(host.externalAuthenticateCommand(level), channel)))).toBe('9000');
  return { host, send: (plain: Uint8Array) => host.unwrap(card.transmit(onChannel(host.wrap(plain), channel))) };
}

describe('MANAGE CHANNEL (ISO 7816-4 §11.1.2, GPCS 11.7)', () => {
  it('was an unknown instruction before; now opens the lowest free channel and answers its number, then 1, 2, 3 and 6A81 when none is left', () => {
    const card = powered();
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('019000');
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('029000');
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('039000');
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('6A81');
  });

  it('opens a named channel without response data; an open or unsupported one is 6A86', () => {
    const card = powered();
    expect(toHex(card.transmit(buildManageChannelOpen({ channel: 2 })))).toBe('9000');
    expect(toHex(card.transmit(buildManageChannelOpen({ channel: 2 })))).toBe('6A86');
    expect(toHex(card.transmit(buildManageChannelOpen({ channel: 4 })))).toBe('6A86');
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('019000');
  });

  it('answers 6881 on a channel that is not open, and on channels 4–19', () => {
    const card = powered();
    expect(toHex(card.transmit(onChannel(buildGetData(0x9f7f), 1)))).toBe('6881');
    expect(toHex(card.transmit(onChannel(buildSelect(), 3)))).toBe('6881');
    expect(toHex(card.transmit(onChannel(buildGetData(0x9f7f), 7)))).toBe('6881');
    expect(toHex(card.transmit(buildManageChannelOpen({ origin: 2 })))).toBe('6881');
  });

  it('closes a channel (6200 when already closed; the basic channel cannot be closed: 6A86); commands there then answer 6881', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen());
    expect(swOf(card.transmit(onChannel(buildGetData(0x9f7f), 1)))).toBe(SW.SUCCESS);
    expect(toHex(card.transmit(buildManageChannelClose(1)))).toBe('9000');
    expect(toHex(card.transmit(buildManageChannelClose(1, { origin: 0 })))).toBe('6200');
    expect(toHex(card.transmit(Uint8Array.of(0x00, 0x70, 0x80, 0x00)))).toBe('6A86');
    expect(toHex(card.transmit(onChannel(buildGetData(0x9f7f), 1)))).toBe('6881');
  });

  it('opens no channel while the card is locked (6A81), and knows only P1 00 and 80 (6A86)', () => {
    const card = powered();
    const { send } = authenticateOn(card, 0, 0x01);
    expect(swOf(send(buildSetCardStatus(0x7f)))).toBe(SW.SUCCESS);
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('6A81');
    expect(toHex(card.transmit(buildManageChannelOpen({ channel: 1 })))).toBe('6A81');
    expect(toHex(card.transmit(Uint8Array.of(0x00, 0x70, 0x40, 0x00, 0x01)))).toBe('6A86');
  });

  it('refuses secure messaging (6882) and a data field (6700)', () => {
    const card = powered();
    const { host } = authenticateOn(card, 0, 0x01);
    expect(toHex(host.unwrap(card.transmit(host.wrap(buildManageChannelOpen()))))).toBe('6882');
    expect(toHex(card.transmit(Uint8Array.of(0x00, 0x70, 0x00, 0x01, 0x01, 0x00)))).toBe('6700');
  });

  it('is not forwarded to an application selected on the channel', () => {
    const { card, send } = cardWithEchoPackage(4);
    expect(swOf(send(installEcho()))).toBe(SW.SUCCESS);
    expect(swOf(card.transmit(buildSelect(ECHO_APPLET_AID)))).toBe(SW.SUCCESS);
    expect(card.hasTag('ch0.selected.application')).toBe(true);
    expect(toHex(card.transmit(buildManageChannelOpen()))).toBe('019000');
  });

  it('power-off and warm reset close every supplementary channel', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen());
    card.reset();
    expect(toHex(card.transmit(onChannel(buildGetData(0x9f7f), 1)))).toBe('6881');
    card.transmit(buildManageChannelOpen());
    card.powerOff();
    card.powerOn();
    expect(toHex(card.transmit(onChannel(buildGetData(0x9f7f), 1)))).toBe('6881');
  });
});

describe('each logical channel has its own selection, secure channel, GET RESPONSE and chaining', () => {
  it('a session on channel 1 leaves channel 0 unauthenticated, and closing channel 1 ends its session', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen());
    const one = authenticateOn(card, 1, 0x03);
    expect(swOf(one.send(buildGetStatus({ subset: 0x80 })))).toBe(SW.SUCCESS);
    // Channel 0 has no session: GET STATUS there needs one.
    expect(toHex(card.transmit(buildGetStatus({ subset: 0x80 })))).toBe('6982');
    // …and that refusal did not end channel 1's session.
    expect(swOf(one.send(buildGetStatus({ subset: 0x80 })))).toBe(SW.SUCCESS);
    expect(card.hasTag('ch1.scp.authenticated')).toBe(true);
    card.transmit(buildManageChannelClose(1));
    expect(card.hasTag('ch1.scp.idle')).toBe(false); // closed: no regions at all
    expect(card.hasTag('ch1.open')).toBe(false);
  });

  it('a host session opened with { channel: 2 } runs on channel 2 from INITIALIZE UPDATE on (CLA 82/86/86…)', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen({ channel: 2 }));
    const k = card.profile.keys[0]!;
    const host = new Scp03HostSession({ keys: { enc: k.enc, mac: k.mac, dek: k.dek }, kvn: k.kvn, random: seededRandom('ch2'), channel: 2 });
    const iu = host.initializeUpdateCommand();
    expect(iu[0]).toBe(0x82);
    const r = card.transmit(iu);
    host.processInitializeUpdateResponse(dataOf(r));
    const ea = host.externalAuthenticateCommand(0x33);
    expect([ea[0], toHex(card.transmit(ea))]).toEqual([0x86, '9000']);
    const wrapped = host.wrap(buildGetStatus({ subset: 0x80 }));
    expect(wrapped[0]).toBe(0x86);
    expect(swOf(host.unwrap(card.transmit(wrapped)))).toBe(SW.SUCCESS);
    expect([card.hasTag('ch2.scp.authenticated'), card.hasTag('ch0.scp.authenticated')]).toEqual([true, false]);
  });

  it('two sessions at once, one per channel, each with its own keys and counters', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen());
    const zero = authenticateOn(card, 0, 0x33, 'a');
    const one = authenticateOn(card, 1, 0x13, 'b');
    for (let i = 0; i < 3; i++) {
      expect(swOf(zero.send(buildGetStatus({ subset: 0x80 })))).toBe(SW.SUCCESS);
      expect(swOf(one.send(buildGetStatus({ subset: 0x80 })))).toBe(SW.SUCCESS);
    }
    // A command wrapped for channel 0's session fails on channel 1 and ends only channel 1's session.
    const wrong = onChannel(zero.host.wrap(buildGetStatus({ subset: 0x80 })), 1);
    expect(toHex(card.transmit(wrong))).toBe('6982');
    expect([card.hasTag('ch0.scp.authenticated'), card.hasTag('ch1.scp.authenticated')]).toEqual([true, false]);
  });

  it('a new channel opened from the basic channel selects the ISD; one opened from channel n selects what n has selected', () => {
    const { card, send } = cardWithEchoPackage(5);
    expect(swOf(send(installEcho()))).toBe(SW.SUCCESS);
    card.transmit(buildManageChannelOpen());
    expect(toHex(card.selectedOn(1))).toBe(toHex(card.profile.isdAid));
    expect(swOf(card.transmit(onChannel(buildSelect(ECHO_APPLET_AID), 1)))).toBe(SW.SUCCESS);
    expect(card.hasTag('ch1.selected.application')).toBe(true);
    expect(toHex(card.transmit(buildManageChannelOpen({ origin: 1 })))).toBe('029000');
    expect(toHex(card.selectedOn(2))).toBe(toHex(ECHO_APPLET_AID));
    expect(card.hasTag('ch2.selected.application')).toBe(true);
    expect(card.hasTag('ch0.selected.isd')).toBe(true);
  });

  it('GET RESPONSE continues the response of its own channel; a command on another channel does not drop it', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen());
    // PERFORM SECURITY OPERATION without Le: the 64-byte signature waits for GET RESPONSE (61 40).
    const pso = buildComputeDigitalSignature(new Uint8Array(32).fill(7))[0]!;
    const noLe = pso.subarray(0, pso.length - 1);
    expect(toHex(card.transmit(onChannel(noLe, 1)))).toBe('6140');
    expect(swOf(card.transmit(buildGetData(0x9f7f)))).toBe(SW.SUCCESS);
    expect(toHex(card.transmit(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, 0x00)))).toBe('6985');
    const r = card.transmit(Uint8Array.of(0x01, 0xc0, 0x00, 0x00, 0x40));
    expect([r.length, swOf(r)]).toEqual([66, SW.SUCCESS]);
  });

  it('ISO command chaining is collected per channel', () => {
    const card = powered();
    card.transmit(buildManageChannelOpen());
    const parts = buildComputeDigitalSignature(new Uint8Array(600).fill(1), 255);
    expect(parts.length).toBeGreaterThan(1);
    expect(swOf(card.transmit(onChannel(parts[0]!, 1)))).toBe(SW.SUCCESS);
    // A command on channel 0 does not break channel 1's chain.
    expect(swOf(card.transmit(buildGetData(0x9f7f)))).toBe(SW.SUCCESS);
    for (const p of parts.slice(1, -1)) expect(swOf(card.transmit(onChannel(p, 1)))).toBe(SW.SUCCESS);
    const last = card.transmit(onChannel(parts[parts.length - 1]!, 1));
    expect([last.length, swOf(last)]).toEqual([66, SW.SUCCESS]);
  });
});
