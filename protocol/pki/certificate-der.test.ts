import 'reflect-metadata';
import { AuthorityKeyIdentifierExtension, X509Certificate } from '@peculiar/x509';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { generateEcKeyPair, seededRandom, type EcCurve } from '../crypto/index.ts';
import { readCertificateDer } from './certificate-der.ts';
import { createIssuerCa, issueCardCertificate, PkiError, verifyCardCertificate, type IssuerCa } from './index.ts';

const NOW = new Date('2026-01-01T00:00:00Z');
const cas = new Map<EcCurve, Promise<IssuerCa>>();
const caFor = (curve: EcCurve) => {
  if (!cas.has(curve)) cas.set(curve, createIssuerCa({ curve, random: seededRandom(`der-ca-${curve}`) }));
  return cas.get(curve)!;
};

const inputs = fc.record({
  curve: fc.constantFrom<EcCurve>('P-256', 'brainpoolP256r1'),
  seed: fc.nat(),
  iin: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  cin: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  serial: fc.uint8Array({ minLength: 1, maxLength: 20 }).filter((s) => s.some((b) => b !== 0)),
  // Both sides of 2050, where UTCTime gives way to GeneralizedTime (RFC 5280 §4.1.2.5).
  notBefore: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2060, 0, 1) }).map((t) => new Date(Math.floor(t / 1000) * 1000)),
  days: fc.integer({ min: 1, max: 20_000 }),
});

type Inputs = typeof inputs extends fc.Arbitrary<infer T> ? T : never;

async function issued(i: Inputs) {
  const ca = await caFor(i.curve);
  const card = generateEcKeyPair(i.curve, seededRandom(`der-card-${i.seed}`));
  const der = await issueCardCertificate(ca, { cardPublicKey: card.publicKey, curve: i.curve, iin: i.iin, cin: i.cin, serialNumber: i.serial, notBefore: i.notBefore, notAfter: new Date(i.notBefore.getTime() + i.days * 86_400_000) });
  return { ca, der };
}

describe('readCertificateDer (RFC 5280 §4.1, the fields card-certificate verification needs)', () => {
  it('reads what @peculiar/x509 reads from every certificate the issuer CA makes', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, async (i) => {
        const { der } = await issued(i);
        const ours = readCertificateDer(der);
        const theirs = new X509Certificate(der);
        expect(toHex(ours.issuer)).toBe(toHex(new Uint8Array(theirs.issuerName.toArrayBuffer())));
        expect(toHex(ours.subject)).toBe(toHex(new Uint8Array(theirs.subjectName.toArrayBuffer())));
        expect(ours.notBefore.getTime()).toBe(theirs.notBefore.getTime());
        expect(ours.notAfter.getTime()).toBe(theirs.notAfter.getTime());
        expect(toHex(ours.spki)).toBe(toHex(new Uint8Array(theirs.publicKey.rawData)));
        expect(toHex(ours.signature)).toBe(toHex(new Uint8Array(theirs.signature)));
        expect(ours.subjectAttributes.find((a) => a.oid === '550403')?.value).toBe(theirs.subjectName.getField('CN')[0]);
        expect(ours.subjectAttributes.find((a) => a.oid === '55040B')?.value).toBe(theirs.subjectName.getField('OU')[0]);
        const aki = theirs.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
        expect(toHex(ours.extensions.get('551D23')!.value)).toContain(aki!.toUpperCase());
        expect([...ours.extensions.keys()].sort()).toEqual(theirs.extensions.map((e) => oidHex(e.type)).sort());
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a card certificate with any one byte changed, cut short or lengthened (a PkiError, never a crash, never accepted)', async () => {
    const ca = await caFor('P-256');
    const card = generateEcKeyPair('P-256', seededRandom('der-mutation'));
    const der = await issueCardCertificate(ca, { cardPublicKey: card.publicKey, curve: 'P-256', iin: fromHex('42A0'), cin: fromHex('01020304'), serialNumber: fromHex('01'), notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2030-01-01T00:00:00Z') });
    expect((await verifyCardCertificate(ca.certificate, der, NOW)).cin).toEqual(fromHex('01020304'));
    const refused = async (bytes: Uint8Array) => {
      try {
        await verifyCardCertificate(ca.certificate, bytes, NOW);
        return false;
      } catch (err) {
        if (err instanceof PkiError) return true;
        throw err;
      }
    };
    for (let at = 0; at < der.length; at++) {
      const changed = der.slice();
      changed[at]! ^= 0x01 << (at % 8);
      expect(await refused(changed), `byte ${at}`).toBe(true);
    }
    for (const cut of [1, 2, 10, 70, der.length - 1]) expect(await refused(der.subarray(0, der.length - cut))).toBe(true);
    expect(await refused(Uint8Array.from([...der, 0]))).toBe(true);
  });
});

/** OID dotted → hex of its content octets (X.690 §8.19). */
function oidHex(dotted: string): string {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const bytes = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return toHex(Uint8Array.from(out));
}
