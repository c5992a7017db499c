import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes.ts';
import { seededRandom } from '../../crypto/random-source.ts';
import { Scp03HostSession } from './host-session.ts';
import { keysOf } from './vector-driver.test-util.ts';

const K_KEYS = keysOf('F995D0A069335C7DF42E590317FFEA6D', '58563362EC5A4541ABCD32B34B1EAE7D', '0A02A6D687406DCFA09DC70B3EDB7E38');
const K1_RESPONSE = '00000000000000000000300370C40932A6FEFEAEB2E127185170F45FCA000015';

// P1 (reference §10.8): AES-128, level 11, R-MAC on the GET EID response.
const P_KEYS = keysOf('000102030405060708090A0B0C0D0E0F', '101112131415161718191A1B1C1D1E1F', '202122232425262728292A2B2C2D2E2F');
function p1Session(): Scp03HostSession {
  const host = new Scp03HostSession({ keys: P_KEYS, kvn: 0x30, hostChallenge: fromHex('B13E5F938FC108C4') });
  host.processInitializeUpdateResponse(fromHex('000000000000000000003003703EB51047495B249F66C484C1D2EF1948000002'));
  host.externalAuthenticateCommand(0x11);
  host.wrap(fromHex('80E2910006BF3E035C015A00'));
  return host;
}

function expectScp03(action: () => unknown, code: string): void {
  expect(action).toThrow(expect.objectContaining({ name: 'Scp03Error', code }));
}

describe('Scp03HostSession', () => {
  it('asks for any key version (KVN 00) with a host challenge from the random source', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, random: seededRandom('h') });
    expect(toHex(host.initializeUpdateCommand())).toBe(`8050000008${toHex(seededRandom('h').bytes(8))}00`);
  });

  it('exposes KDD, KVN, i, card challenge and sequence counter of the response', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, hostChallenge: fromHex('B2BDE1A2DC66BD56') });
    host.processInitializeUpdateResponse(fromHex(K1_RESPONSE));
    expect([host.kvn, host.i, host.sequenceCounter, toHex(host.cardChallenge), toHex(host.kdd)]).toEqual([0x30, 0x70, 0x15, 'C40932A6FEFEAEB2', '00000000000000000000']);
  });

  it('refuses a response for another key version than the one asked for (BAD_RESPONSE), before any key is used', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, kvn: 0x31, hostChallenge: fromHex('B2BDE1A2DC66BD56') });
    expect(() => host.processInitializeUpdateResponse(fromHex(K1_RESPONSE))).toThrow(/key version 30, not the 31 asked for/);
    const asked = new Scp03HostSession({ keys: K_KEYS, kvn: 0x30, hostChallenge: fromHex('B2BDE1A2DC66BD56') });
    asked.processInitializeUpdateResponse(fromHex(K1_RESPONSE));
    expect(asked.kvn).toBe(0x30);
  });

  it('refuses a card cryptogram that does not verify (CRYPTOGRAM_MISMATCH)', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, hostChallenge: fromHex('B2BDE1A2DC66BD56') });
    const response = fromHex(K1_RESPONSE);
    response[28] = response[28]! ^ 0x01;
    expectScp03(() => host.processInitializeUpdateResponse(response), 'CRYPTOGRAM_MISMATCH');
    expectScp03(() => host.externalAuthenticateCommand(0x03), 'NO_SESSION');
  });

  it('parses a foreign card (Oberthur COSMO 8.1, GPP #113) before refusing its cryptogram', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, hostChallenge: fromHex('95C3C91BB179A3BF') });
    expectScp03(() => host.processInitializeUpdateResponse(fromHex('149480576000078C0100010370827BBF7447C06D7329DD896EBC4D6DF7000013')), 'CRYPTOGRAM_MISMATCH');
    expect([toHex(host.kdd), host.kvn, host.i, host.sequenceCounter]).toEqual(['149480576000078C0100', 0x01, 0x70, 0x13]);
  });

  it('refuses responses that are not SCP03: wrong length, SCP 02 (BAD_RESPONSE)', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, hostChallenge: new Uint8Array(8) });
    expectScp03(() => host.processInitializeUpdateResponse(fromHex('00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3')), 'BAD_RESPONSE');
    expectScp03(() => host.processInitializeUpdateResponse(fromHex(K1_RESPONSE.replace('300370', '300270'))), 'BAD_RESPONSE');
  });

  it('refuses to wrap before EXTERNAL AUTHENTICATE and refuses undefined levels', () => {
    const host = new Scp03HostSession({ keys: K_KEYS, hostChallenge: fromHex('B2BDE1A2DC66BD56') });
    host.processInitializeUpdateResponse(fromHex(K1_RESPONSE));
    expectScp03(() => host.wrap(fromHex('80F22002')), 'NOT_AUTHENTICATED');
    expectScp03(() => host.externalAuthenticateCommand(0x07), 'BAD_LEVEL');
  });

  it('refuses a plain APDU whose Lc does not match its length (BAD_LENGTH)', () => {
    expectScp03(() => p1Session().wrap(fromHex('80F22002054F00')), 'BAD_LENGTH');
  });

  it('unwraps the P1 GET EID response after checking its R-MAC', () => {
    expect(toHex(p1Session().unwrap(fromHex('BF3E125A1089882119900000000000000000000005971BE68992DBBDFA9000')))).toBe(
      'BF3E125A10898821199000000000000000000000059000',
    );
  });

  it('refuses a response with a bad R-MAC, or with its data altered (MAC_MISMATCH)', () => {
    expectScp03(() => p1Session().unwrap(fromHex('BF3E125A1089882119900000000000000000000005971BE68992DBBDFB9000')), 'MAC_MISMATCH');
    expectScp03(() => p1Session().unwrap(fromHex('BF3E125A1089882119900000000000000000000006971BE68992DBBDFA9000')), 'MAC_MISMATCH');
    expectScp03(() => p1Session().unwrap(fromHex('BF3E125A1089882119900000000000000000000005971BE68992DBBDFA6310')), 'MAC_MISMATCH');
  });

  it('passes an error status word through untouched (no R-MAC on errors)', () => {
    expect(toHex(p1Session().unwrap(fromHex('6A88')))).toBe('6A88');
  });
});
