import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes.ts';
import { macCla, plainCla, secureCla } from './class-byte.ts';
import { createSecureMessagingState, unwrapCommand, unwrapResponse, wrapCommand, wrapResponse, type SecureMessagingState } from './secure-messaging.ts';
import type { SessionKeys } from './session-keys.ts';
import { toCommand } from './vector-driver.test-util.ts';

// P3 session keys (reference §10.8); the MCV is arbitrary here: only the mechanics are under test.
const KEYS: SessionKeys = {
  sEnc: fromHex('BC5689F3A0B783A9ED6DA1C5C6BC1F99'),
  sMac: fromHex('0415F56CBB9E488BB171B2B66081F004'),
  sRmac: fromHex('1EE185123244E047BC9D68B914BD1FBE'),
};

function state(level: number): SecureMessagingState {
  return { ...createSecureMessagingState(KEYS), level, mcv: fromHex('00112233445566778899AABBCCDDEEFF') };
}

describe('class byte under secure messaging (GPCS 11.1.4, AMD-D 6.2.4)', () => {
  it('sets and clears the SM indication, keeping the logical channel', () => {
    expect([0x80, 0x00, 0x81, 0x03, 0xc1].map(secureCla)).toEqual([0x84, 0x04, 0x85, 0x07, 0xe1]);
    expect([0x84, 0x04, 0x85, 0x07, 0xe1].map(plainCla)).toEqual([0x80, 0x00, 0x81, 0x03, 0xc1]);
  });

  it('MACs the CLA with the channel cleared: 85, E5 and 84 all enter the C-MAC as 84', () => {
    expect([0x85, 0xe5, 0x84, 0xc0].map(macCla)).toEqual([0x84, 0x84, 0x84, 0x84]);
    expect(macCla(0x04)).toBe(0x04);
  });

  it('gives the same C-MAC on logical channel 1 as on channel 0', () => {
    const onBasic = wrapCommand(state(0x03), 0x80, 0xf2, 0x40, 0x02, fromHex('4F00'));
    const onChannel1 = wrapCommand(state(0x03), 0x81, 0xf2, 0x40, 0x02, fromHex('4F00'));
    expect(onChannel1[0]).toBe(0x85);
    expect(toHex(onChannel1.subarray(1))).toBe(toHex(onBasic.subarray(1)));
  });
});

describe('command protection (AMD-D 6.2.4, 6.2.6)', () => {
  it('advances the encryption counter for commands without data too', () => {
    const host = state(0x03);
    wrapCommand(host, 0x80, 0xf2, 0x20, 0x02, new Uint8Array(0));
    wrapCommand(host, 0x80, 0xca, 0x00, 0x66, new Uint8Array(0));
    expect(host.counter).toBe(2n);
  });

  it('refuses data whose protected form exceeds a short Lc (BAD_LENGTH)', () => {
    expect(() => wrapCommand(state(0x03), 0x80, 0xe8, 0x00, 0x00, new Uint8Array(240))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });

  it('sends commands plain at security level 00, and the card passes them through', () => {
    expect(toHex(wrapCommand(state(0x00), 0x80, 0xca, 0x00, 0x66, new Uint8Array(0)))).toBe('80CA0066');
    expect(unwrapCommand(state(0x00), toCommand('80CA006600'))).toEqual(toCommand('80CA006600'));
  });

  it('rejects a command without C-MAC in a C-MAC session (6982, AMD-D 5.6)', () => {
    expect(() => unwrapCommand(state(0x01), toCommand('80CA006600'))).toThrow(expect.objectContaining({ code: 'SECURITY_LEVEL', sw: 0x6982 }));
  });

  it('rejects a deciphered command whose padding is malformed (BAD_PADDING)', () => {
    // MACed but not enciphered by the host; the card at level 03 deciphers noise.
    const wire = wrapCommand(state(0x01), 0x80, 0xe2, 0x90, 0x00, fromHex('0102030405060708090A0B0C0D0E0F10'));
    expect(() => unwrapCommand(state(0x03), toCommand(toHex(wire)))).toThrow(expect.objectContaining({ code: 'BAD_PADDING', sw: 0x6982 }));
  });
});

describe('response protection (AMD-D 6.2.5, 6.2.7)', () => {
  it('returns error status words bare: no data, no R-MAC', () => {
    expect(toHex(wrapResponse(state(0x33), fromHex('0102'), 0x6a88))).toBe('6A88');
    expect(toHex(unwrapResponse(state(0x33), new Uint8Array(0), 0x6a88))).toBe('');
  });

  it('protects warning status words 62xx/63xx like 9000', () => {
    const card = state(0x11);
    const wire = wrapResponse(card, fromHex('E3'), 0x6310);
    expect(wire.length).toBe(1 + 8 + 2);
    expect(toHex(unwrapResponse(state(0x11), wire.subarray(0, 9), 0x6310))).toBe('E3');
  });

  it('does not encipher an empty response: R-MAC and SW only', () => {
    expect(wrapResponse(state(0x33), new Uint8Array(0), 0x9000).length).toBe(10);
  });

  it('rejects a response whose R-MAC does not verify', () => {
    const wire = wrapResponse(state(0x11), fromHex('BF3E'), 0x9000);
    wire[2] = wire[2]! ^ 0x01;
    expect(() => unwrapResponse(state(0x11), wire.subarray(0, 10), 0x9000)).toThrow(expect.objectContaining({ code: 'MAC_MISMATCH' }));
  });

  it('rejects an R-ENC response whose padding does not verify (BAD_PADDING)', () => {
    const wire = wrapResponse(state(0x11), fromHex('0102030405060708090A0B0C0D0E0F10'), 0x9000);
    expect(() => unwrapResponse(state(0x33), wire.subarray(0, 24), 0x9000)).toThrow(expect.objectContaining({ code: 'BAD_PADDING' }));
  });
});
