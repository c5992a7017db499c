import { describe, it, expect } from 'vitest';
import { toHex } from '../protocol/bytes.ts';
import { seededRandom } from '../protocol/crypto/index.ts';
import { buildGetData } from '../protocol/gp/commands/index.ts';
import { parseTlv } from '../protocol/tlv/index.ts';
import { createIssuerCa, verifyCardCertificate } from '../protocol/pki/index.ts';
import { createCard, personalizeCertificate } from './index.ts';

/** Reads a response longer than 256 bytes: 61xx then GET RESPONSE until 9000. */
function readAll(transmit: (c: Uint8Array) => Uint8Array, command: Uint8Array): Uint8Array {
  let r = transmit(command);
  const parts: number[] = [];
  for (let i = 0; i < 16; i++) {
    parts.push(...r.subarray(0, r.length - 2));
    if (r[r.length - 2] !== 0x61) break;
    r = transmit(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, r[r.length - 1]!));
  }
  return Uint8Array.of(...parts, r[r.length - 2]!, r[r.length - 1]!);
}

describe('card certificate (claim 3)', () => {
  it('is answered by GET DATA 7F21 (through 61xx / GET RESPONSE) and chains to the issuer CA with the card\'s own key, IIN and CIN', async () => {
    const ca = await createIssuerCa({ random: seededRandom('ca') });
    const card = createCard({ seed: 5 });
    card.powerOn();
    expect(toHex(card.transmit(buildGetData(0x7f21)))).toBe('6A88');
    const free = card.store.freeBytes();
    const der = await personalizeCertificate(card, ca);
    expect(card.store.freeBytes()).toBe(free - der.length - 16);
    const r = readAll((c) => card.transmit(c), buildGetData(0x7f21));
    expect(toHex(r.subarray(r.length - 2))).toBe('9000');
    const [tlv] = parseTlv(r.subarray(0, r.length - 2));
    expect(tlv!.tag).toBe(0x7f21);
    expect(toHex(tlv!.value)).toBe(toHex(der));
    const verified = await verifyCardCertificate(ca.certificate, tlv!.value);
    expect(toHex(verified.publicKey)).toBe(toHex(card.signingKey().publicKey));
    expect(toHex(verified.cin)).toBe(toHex(card.transmit(buildGetData(0x45)).subarray(2, -2)));
  });

  it('is the same certificate, byte for byte, for the same seeds', async () => {
    const make = async () => {
      const card = createCard({ seed: 5 });
      return toHex(await personalizeCertificate(card, await createIssuerCa({ random: seededRandom('ca') })));
    };
    expect(await make()).toBe(await make());
  });
});
