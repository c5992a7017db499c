import { describe, it, expect } from 'vitest';
import { fromHex, toHex, equalBytes } from '../protocol/bytes.ts';
import { Scp03HostSession } from '../protocol/gp/scp03/index.ts';
import { buildGetData, buildGetStatus, buildSelect, buildSetCardStatus } from '../protocol/gp/commands/index.ts';
import { parseCardResources, parseRegistryEntries } from '../protocol/gp/data/index.ts';
import { seededRandom } from '../protocol/crypto/random-source.ts';
import { createCard, CardError, type Card, type CardProfileInput } from './index.ts';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');
const KEYS = { enc: KEY, mac: KEY, dek: KEY };

function sw(r: Uint8Array): number {
  return (r[r.length - 2]! << 8) | r[r.length - 1]!;
}

function open(card: Card, level: number, hostSeed = 'host'): Scp03HostSession {
  const host = new Scp03HostSession({ keys: KEYS, kvn: 0x30, random: seededRandom(hostSeed) });
  const r = card.transmit(host.initializeUpdateCommand());
  expect(sw(r)).toBe(0x9000);
  host.processInitializeUpdateResponse(r.subarray(0, r.length - 2));
  expect(toHex(card.transmit(host.externalAuthenticateCommand(level)))).toBe('9000');
  return host;
}

describe('card: SCP03 sessions', () => {
  for (const level of [0x00, 0x01, 0x03, 0x11, 0x13, 0x33]) {
    it(`authenticates a host at security level ${level.toString(16).padStart(2, '0')} and answers GET STATUS under it`, () => {
      const card = createCard({ seed: 3 });
      card.powerOn();
      const host = open(card, level);
      expect(card.hasTag('scp.authenticated')).toBe(true);
      const plain = buildGetStatus({ subset: 0x80 });
      const wire = level === 0 ? plain : host.wrap(plain);
      const r = host.unwrap(card.transmit(wire));
      expect(sw(r)).toBe(0x9000);
      const [isd] = parseRegistryEntries(r.subarray(0, r.length - 2));
      expect(toHex(isd!.aid)).toBe('A000000151000000');
      expect(isd!.lifeCycle).toBe(0x0f);
    });
  }

  it('refuses a tampered C-MAC with 6982 and closes the session', () => {
    const card = createCard();
    card.powerOn();
    const host = open(card, 0x01);
    const wrapped = host.wrap(buildGetStatus({ subset: 0x80 }));
    wrapped[wrapped.length - 2]! ^= 0x01; // last MAC byte (before Le)
    expect(toHex(card.transmit(wrapped))).toBe('6982');
    expect(card.hasTag('scp.idle')).toBe(true);
    // The host's next (correctly MACed) command is refused too: there is no session any more.
    expect(toHex(card.transmit(host.wrap(buildGetStatus({ subset: 0x80 }))))).toBe('6982');
  });

  it('refuses a wrong host cryptogram with 6300 and opens no session', () => {
    const card = createCard();
    card.powerOn();
    const host = new Scp03HostSession({ keys: KEYS, random: seededRandom(1) });
    const r = card.transmit(host.initializeUpdateCommand());
    host.processInitializeUpdateResponse(r.subarray(0, r.length - 2));
    const ea = host.externalAuthenticateCommand(0x01);
    ea[5]! ^= 0x80; // first cryptogram byte
    expect(toHex(card.transmit(ea))).toBe('6300');
    expect(card.hasTag('scp.idle')).toBe(true);
    expect(toHex(card.transmit(ea))).toBe('6985');
  });

  it('refuses a host whose static keys differ: its cryptogram check fails on the host side', () => {
    const card = createCard();
    card.powerOn();
    const wrong = fromHex('00112233445566778899AABBCCDDEEFF');
    const host = new Scp03HostSession({ keys: { enc: wrong, mac: wrong, dek: wrong }, random: seededRandom(1) });
    const r = card.transmit(host.initializeUpdateCommand());
    expect(() => host.processInitializeUpdateResponse(r.subarray(0, r.length - 2))).toThrow(/cryptogram/i);
  });

  it('refuses a plain command inside a MACed session (6982) and ends the session', () => {
    const card = createCard();
    card.powerOn();
    open(card, 0x01);
    expect(toHex(card.transmit(buildGetData(0x66)))).toBe('6982');
    expect(card.hasTag('scp.idle')).toBe(true);
  });

  it('ends the session on SELECT', () => {
    const card = createCard();
    card.powerOn();
    open(card, 0x03);
    expect(sw(card.transmit(buildSelect()))).toBe(0x9000);
    expect(card.hasTag('scp.idle')).toBe(true);
  });
});

describe('card: determinism', () => {
  const randomChallenge: CardProfileInput = { scp03: { i: '60' } };
  function trace(seed: number): string[] {
    const card = createCard({ profile: randomChallenge, seed });
    const out = [toHex(card.powerOn())];
    const host = new Scp03HostSession({ keys: KEYS, random: seededRandom('fixed') });
    for (const c of [buildSelect(), buildGetData(0x45), buildGetData(0x9f7f), host.initializeUpdateCommand()]) out.push(toHex(card.transmit(c)));
    return out;
  }

  it('reproduces every R-APDU byte for byte, random card challenge included, for the same seed', () => {
    expect(trace(42)).toEqual(trace(42));
  });

  it('gives another card (CIN, IC serial, challenge) for another seed', () => {
    const a = trace(1);
    const b = trace(2);
    expect(a[2]).not.toBe(b[2]);
    expect(a[4]).not.toBe(b[4]);
  });
});

describe('card: life cycle', () => {
  it('locks, refuses content commands while locked, unlocks, and terminates for good', () => {
    const card = createCard();
    card.powerOn();
    let host = open(card, 0x01);
    expect(toHex(host.unwrap(card.transmit(host.wrap(buildSetCardStatus(0x7f)))))).toBe('9000');
    expect(card.lifeCycle).toBe(0x7f);
    expect(sw(card.transmit(buildSelect()))).toBe(0x6283);
    host = open(card, 0x01);
    // SECURED → INITIALIZED is backwards: refused.
    expect(toHex(host.unwrap(card.transmit(host.wrap(buildSetCardStatus(0x07)))))).toBe('6985');
    host = open(card, 0x01);
    expect(toHex(host.unwrap(card.transmit(host.wrap(buildSetCardStatus(0x0f)))))).toBe('9000');
    expect(toHex(host.unwrap(card.transmit(host.wrap(buildSetCardStatus(0xff)))))).toBe('9000');
    // The state is persistent: it survives a power cycle.
    card.powerOn();
    expect(card.lifeCycle).toBe(0xff);
    expect(toHex(card.transmit(buildSelect()))).toBe('6A81');
    expect(sw(card.transmit(buildGetData(0x9f7f)))).toBe(0x9000);
  });
});

describe('card: power', () => {
  it('answers nothing while unpowered', () => {
    const card = createCard();
    expect(() => card.transmit(buildSelect())).toThrow(CardError);
  });

  it('forgets the session and pending response at a warm reset but keeps persistent data', () => {
    const card = createCard();
    card.powerOn();
    const cin = card.transmit(buildGetData(0x45));
    open(card, 0x01);
    card.reset();
    expect(card.hasTag('scp.idle')).toBe(true);
    expect(equalBytes(card.transmit(buildGetData(0x45)), cin)).toBe(true);
  });
});

describe('card: memory', () => {
  it('reports FF21 free memory exact to the byte of what personalisation stored', () => {
    const card = createCard();
    card.powerOn();
    const r = card.transmit(buildGetData(0xff21));
    const res = parseCardResources(r.subarray(0, r.length - 2));
    // Objects: CPLC 42, IIN 3, CIN 8, life cycle 1, privileges 3, card key 98 (curve 1, private 32, public 65),
    // confirmation counter 2, keyset 48, sequence counter 3 → 208 bytes of values plus 9 × 16 bytes of
    // per-object overhead = 352 bytes used of 65536.
    expect(res.freeNonVolatileMemory).toBe(65536 - 352);
    expect(res.freeNonVolatileMemory).toBe(card.store.freeBytes());
    expect(res.installedApplications).toBe(0);
    expect(res.freeVolatileMemory).toBe(4096);
  });
});

describe('card: key and capability information (reference §3.5, §3.6, §9.4)', () => {
  it('advertises the SCP03 keysets, the receipt key (KVN 71) and the DAP key (KVN 73) in E0', () => {
    const dap = '04' + '11'.repeat(64);
    const card = createCard({ profile: { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: dap } } } });
    card.powerOn();
    expect(toHex(card.transmit(buildGetData(0xe0)))).toBe('E022C00401308810C00402308810C00403308810C0060171B120F001C0060173B041F0019000');
  });

  it('answers Card Capability Information 67: SCP03 i and AES sizes, Card Reset assignable to applications, LFDB hashes, receipt and DAP suites', () => {
    const card = createCard({ profile: { receipts: { type: 'aes', key: '000102030405060708090A0B0C0D0E0F' }, dap: { key: { type: 'aes', key: '000102030405060708090A0B0C0D0E0F0001020304050607' } } } });
    card.powerOn();
    expect(toHex(card.transmit(buildGetData(0x67)))).toBe('6721A0098001038101708201018103000000820304000083020102860208008702100090 00'.replace(' ', ''));
  });
});
