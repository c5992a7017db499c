import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../bytes.ts';
import { seededRandom } from '../../crypto/random-source.ts';
import { Scp03CardSession, type InitializeUpdateParams } from './card-session.ts';
import { Scp03HostSession } from './host-session.ts';
import { commandMac, createSecureMessagingState } from './secure-messaging.ts';
import { deriveSessionKeys } from './session-keys.ts';
import { keysOf, toCommand } from './vector-driver.test-util.ts';

// K1 (reference §10.8): keys, INITIALIZE UPDATE inputs and the EXTERNAL AUTHENTICATE that verifies.
const KEYS = keysOf('F995D0A069335C7DF42E590317FFEA6D', '58563362EC5A4541ABCD32B34B1EAE7D', '0A02A6D687406DCFA09DC70B3EDB7E38');
const HOST_CHALLENGE = fromHex('B2BDE1A2DC66BD56');
const CARD_CHALLENGE = fromHex('C40932A6FEFEAEB2');
const EXT_AUTH = '848203001059D54D932423D29F6313C970875F8C2F';
const DELETE_WRAPPED = '84E400801829F06AEC3180B3EFE91FF662310B945DE0D5FE66AD67A5B600';

function params(overrides: Partial<InitializeUpdateParams> = {}): InitializeUpdateParams {
  return {
    keys: KEYS,
    kvn: 0x30,
    i: 0x70,
    kdd: new Uint8Array(10),
    hostChallenge: HOST_CHALLENGE,
    sequenceCounter: 0x15,
    aid: fromHex('A000000151000000'),
    random: seededRandom('card'),
    ...overrides,
  };
}

function initiated(overrides: Partial<InitializeUpdateParams> = {}): Scp03CardSession {
  const card = new Scp03CardSession();
  card.initializeUpdate(params(overrides));
  return card;
}

/** An EXTERNAL AUTHENTICATE with a correct C-MAC over whatever cryptogram and P1 we choose. */
function externalAuthenticate(cryptogram: Uint8Array, level = 0x03): string {
  const sm = createSecureMessagingState(deriveSessionKeys(KEYS, HOST_CHALLENGE, CARD_CHALLENGE));
  const mac = commandMac(sm, 0x84, 0x82, level, 0x00, cryptogram).subarray(0, 8);
  return toHex(concat(Uint8Array.of(0x84, 0x82, level, 0x00, 0x10), cryptogram, mac));
}

function expectScp03(action: () => unknown, code: string, sw: number): void {
  expect(action).toThrow(expect.objectContaining({ name: 'Scp03Error', code, sw }));
}

describe('Scp03CardSession', () => {
  it('authenticates K1 and keeps the level of EXTERNAL AUTHENTICATE P1', () => {
    const card = initiated();
    card.externalAuthenticate(toCommand(EXT_AUTH));
    expect([card.state, card.level, card.aborted]).toEqual(['authenticated', 0x03, false]);
  });

  it('refuses EXTERNAL AUTHENTICATE before INITIALIZE UPDATE (6985)', () => {
    expectScp03(() => new Scp03CardSession().externalAuthenticate(toCommand(EXT_AUTH)), 'NO_SESSION', 0x6985);
  });

  it('refuses a wrong host cryptogram (6300) and drops the session', () => {
    const card = initiated();
    expectScp03(() => card.externalAuthenticate(toCommand(externalAuthenticate(fromHex('59D54D932423D29E')))), 'CRYPTOGRAM_MISMATCH', 0x6300);
    expect([card.state, card.aborted]).toEqual(['idle', true]);
    expectScp03(() => card.externalAuthenticate(toCommand(EXT_AUTH)), 'NO_SESSION', 0x6985);
  });

  it('refuses EXTERNAL AUTHENTICATE with a wrong C-MAC (6982)', () => {
    const tampered = `${EXT_AUTH.slice(0, -2)}2E`;
    const card = initiated();
    expectScp03(() => card.externalAuthenticate(toCommand(tampered)), 'MAC_MISMATCH', 0x6982);
    expect(card.state).toBe('idle');
  });

  it('refuses undefined security levels 02, 31, 80 (6A86)', () => {
    for (const level of [0x02, 0x31, 0x80]) {
      expectScp03(() => initiated().externalAuthenticate(toCommand(externalAuthenticate(fromHex('59D54D932423D29F'), level))), 'BAD_LEVEL', 0x6a86);
    }
  });

  it('refuses R-MAC when the i parameter does not offer it (i=10, level 11: 6A86)', () => {
    expectScp03(() => initiated({ i: 0x10 }).externalAuthenticate(toCommand(externalAuthenticate(fromHex('59D54D932423D29F'), 0x11))), 'BAD_LEVEL', 0x6a86);
  });

  it('refuses P2 other than 00 (6A86) and Lc other than 10 (6700)', () => {
    expectScp03(() => initiated().externalAuthenticate({ ...toCommand(EXT_AUTH), p2: 0x01 }), 'BAD_PARAMETER', 0x6a86);
    expectScp03(() => initiated().externalAuthenticate(toCommand(EXT_AUTH.slice(0, -2).replace(/^8482030010/, '848203000F'))), 'BAD_LENGTH', 0x6700);
  });

  it('refuses a tampered C-MAC (6982), closes the session and rejects what follows', () => {
    const card = initiated();
    card.externalAuthenticate(toCommand(EXT_AUTH));
    const tampered = toCommand(DELETE_WRAPPED);
    tampered.data[tampered.data.length - 1] = tampered.data[tampered.data.length - 1]! ^ 0x01;
    expectScp03(() => card.unwrap(tampered), 'MAC_MISMATCH', 0x6982);
    expect([card.state, card.level, card.aborted]).toEqual(['idle', 0, true]);
    expectScp03(() => card.unwrap(toCommand(DELETE_WRAPPED)), 'NOT_AUTHENTICATED', 0x6982);
  });

  it('refuses a replayed command: the MAC chaining value has moved on (6982)', () => {
    const card = initiated();
    card.externalAuthenticate(toCommand(EXT_AUTH));
    card.unwrap(toCommand(DELETE_WRAPPED));
    expectScp03(() => card.unwrap(toCommand(DELETE_WRAPPED)), 'MAC_MISMATCH', 0x6982);
  });

  it('aborts when a protected command arrives before EXTERNAL AUTHENTICATE', () => {
    const card = initiated();
    expectScp03(() => card.unwrap(toCommand(DELETE_WRAPPED)), 'NOT_AUTHENTICATED', 0x6982);
    expect(card.aborted).toBe(true);
  });

  it('starts over on a new INITIALIZE UPDATE and on reset()', () => {
    const card = initiated();
    card.externalAuthenticate(toCommand(EXT_AUTH));
    card.initializeUpdate(params());
    expect(card.state).toBe('initiated');
    card.reset();
    expect([card.state, card.aborted]).toEqual(['idle', false]);
  });

  it('refuses a host challenge that is not 8 bytes (6700) and a counter beyond 3 bytes (6985)', () => {
    expectScp03(() => initiated({ hostChallenge: new Uint8Array(7) }), 'BAD_LENGTH', 0x6700);
    expectScp03(() => initiated({ sequenceCounter: 0x1000000 }), 'SEQUENCE', 0x6985);
  });

  it('draws a random challenge from the RandomSource when i lacks 10 and answers 29 bytes', () => {
    const response = new Scp03CardSession().initializeUpdate(params({ i: 0x60, random: seededRandom('challenge') }));
    expect(response.length).toBe(29);
    expect(toHex(response.subarray(13, 21))).toBe(toHex(seededRandom('challenge').bytes(8)));
  });

  it('talks to Scp03HostSession at level 33 with a random challenge: commands, data, warnings and errors', () => {
    const host = new Scp03HostSession({ keys: KEYS, random: seededRandom('host') });
    const card = new Scp03CardSession();
    const initUpdate = host.initializeUpdateCommand();
    host.processInitializeUpdateResponse(card.initializeUpdate(params({ i: 0x60, hostChallenge: initUpdate.subarray(5, 13) })));
    card.externalAuthenticate(toCommand(toHex(host.externalAuthenticateCommand(0x33))));
    const exchanges: Array<[string, string, number]> = [
      ['80CA006600', 'BF3E125A1089882119900000000000000000000005', 0x9000],
      ['80F22002', '', 0x9000],
      ['80F2400200', 'E3', 0x6310],
      ['80E40000074F05A000000001', '', 0x6a88],
      ['80E8000010' + '00'.repeat(16), '00', 0x9000],
    ];
    for (const [plain, data, sw] of exchanges) {
      const unwrapped = card.unwrap(toCommand(toHex(host.wrap(fromHex(plain)))));
      expect(unwrapped).toEqual(toCommand(plain));
      const rapdu = card.wrap(fromHex(data), sw);
      expect(toHex(host.unwrap(rapdu))).toBe(sw === 0x6a88 ? '6A88' : `${data}${sw.toString(16).toUpperCase()}`);
    }
  });
});
