import { describe, expect, it } from 'vitest';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { fromHex, toHex } from '../bytes.ts';
import { generateEcKeyPair, seededRandom, type EcCurve } from '../crypto/index.ts';
import { createIssuerCa, decodePublicKeySpki, encodePublicKeySpki, issueCardCertificate, PkiError, verifyCardCertificate, type IssuerCa } from './index.ts';

const IIN = fromHex('42A000000151');
const CIN = fromHex('0102030405060708');
const NOT_BEFORE = new Date('2025-06-01T00:00:00Z');
const NOT_AFTER = new Date('2035-06-01T00:00:00Z');
const NOW = new Date('2026-01-01T00:00:00Z');

async function issue(ca: IssuerCa, curve: EcCurve = 'P-256', over: { notBefore?: Date; notAfter?: Date } = {}) {
  const card = generateEcKeyPair(curve, seededRandom(`card-${curve}`));
  const der = await issueCardCertificate(ca, { cardPublicKey: card.publicKey, curve, iin: IIN, cin: CIN, serialNumber: fromHex('8001'), notBefore: over.notBefore ?? NOT_BEFORE, notAfter: over.notAfter ?? NOT_AFTER });
  return { card, der };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PkiError) return error.code;
    throw error;
  }
  throw new Error('verification passed');
}

describe.each(['P-256', 'brainpoolP256r1'] as const)('issuer CA and card certificates on %s (RFC 5280)', (curve) => {
  it('verifies the chain and returns the card key, IIN and CIN', async () => {
    const ca = await createIssuerCa({ curve, random: seededRandom(`ca-${curve}`) });
    const { card, der } = await issue(ca, curve);
    const verified = await verifyCardCertificate(ca.certificate, der, NOW);
    expect(verified.curve).toBe(curve);
    expect(toHex(verified.publicKey)).toBe(toHex(card.publicKey));
    expect(toHex(verified.iin)).toBe(toHex(IIN));
    expect(toHex(verified.cin)).toBe(toHex(CIN));
  });

  it('is byte-for-byte reproducible for the same inputs', async () => {
    const a = await createIssuerCa({ curve, random: seededRandom(`ca-${curve}`) });
    const b = await createIssuerCa({ curve, random: seededRandom(`ca-${curve}`) });
    expect(toHex(a.certificate)).toBe(toHex(b.certificate));
    expect(toHex((await issue(a, curve)).der)).toBe(toHex((await issue(b, curve)).der));
    const other = await createIssuerCa({ curve, random: seededRandom('another seed') });
    expect(toHex(other.certificate)).not.toBe(toHex(a.certificate));
  });
});

describe('card certificate refusals', async () => {
  const ca = await createIssuerCa({ random: seededRandom('ca'), name: 'Issuer One' });
  const { der } = await issue(ca);

  it('is accepted by OpenSSL (node:crypto X509Certificate) as issued by the CA', () => {
    const caCert = new NodeX509Certificate(ca.certificate);
    const cardCert = new NodeX509Certificate(der);
    expect(cardCert.checkIssued(caCert)).toBe(true);
    expect(cardCert.verify(caCert.publicKey)).toBe(true);
    expect(cardCert.subject).toBe(`OU=${toHex(IIN)}\nCN=${toHex(CIN)}`);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
  });

  it('refuses a certificate from another CA (WRONG_ISSUER), even one with the same name', async () => {
    const other = await createIssuerCa({ random: seededRandom('other'), name: 'Issuer Two' });
    expect(await refusal(verifyCardCertificate(other.certificate, der, NOW))).toBe('WRONG_ISSUER');
    const sameName = await createIssuerCa({ random: seededRandom('impostor'), name: 'Issuer One' });
    expect(await refusal(verifyCardCertificate(sameName.certificate, der, NOW))).toBe('WRONG_ISSUER');
  });

  it('refuses a flipped signature byte (BAD_SIGNATURE)', async () => {
    const tampered = der.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    expect(await refusal(verifyCardCertificate(ca.certificate, tampered, NOW))).toBe('BAD_SIGNATURE');
  });

  it('refuses an altered TBSCertificate (BAD_SIGNATURE)', async () => {
    const tampered = der.slice();
    const at = Buffer.from(tampered).indexOf(Buffer.from(toHex(CIN), 'ascii'));
    expect(at).toBeGreaterThan(0);
    tampered[at + 1]! ^= 0x02; // CN 0102… becomes 0302…
    expect(await refusal(verifyCardCertificate(ca.certificate, tampered, NOW))).toBe('BAD_SIGNATURE');
  });

  it('refuses an expired or not yet valid certificate', async () => {
    expect(await refusal(verifyCardCertificate(ca.certificate, der, new Date('2036-01-01T00:00:00Z')))).toBe('EXPIRED');
    expect(await refusal(verifyCardCertificate(ca.certificate, der, new Date('2025-01-02T00:00:00Z')))).toBe('NOT_YET_VALID');
    const old = await issue(ca, 'P-256', { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2025-12-31T00:00:00Z') });
    expect(await refusal(verifyCardCertificate(ca.certificate, old.der, NOW))).toBe('EXPIRED');
  });

  it('answers a certificate it verified before alike, still checks its dates, and hands out copies', async () => {
    const first = await verifyCardCertificate(ca.certificate, der, NOW);
    first.publicKey.fill(0);
    const again = await verifyCardCertificate(ca.certificate, der, NOW);
    expect(again.publicKey.some((b) => b !== 0)).toBe(true);
    expect(toHex(again.cin)).toBe(toHex(CIN));
    expect(await refusal(verifyCardCertificate(ca.certificate, der, new Date('2036-01-01T00:00:00Z')))).toBe('EXPIRED');
    expect(await refusal(verifyCardCertificate(ca.certificate, der, new Date('2025-01-02T00:00:00Z')))).toBe('NOT_YET_VALID');
    const other = await createIssuerCa({ curve: 'P-256', random: seededRandom('other-after-cache') });
    expect(await refusal(verifyCardCertificate(other.certificate, der, NOW))).toBe('WRONG_ISSUER');
  });

  it('refuses bytes that are not a certificate (BAD_CERTIFICATE)', async () => {
    expect(await refusal(verifyCardCertificate(ca.certificate, fromHex('3003020101'), NOW))).toBe('BAD_CERTIFICATE');
    expect(await refusal(verifyCardCertificate(fromHex('00'), der, NOW))).toBe('BAD_CERTIFICATE');
  });

  it('refuses a card key off its curve (UNSUPPORTED_KEY) and round-trips SPKI', () => {
    const key = generateEcKeyPair('P-256', seededRandom('spki')).publicKey;
    expect(toHex(decodePublicKeySpki(encodePublicKeySpki('P-256', key)).publicKey)).toBe(toHex(key));
    const bad = key.slice();
    bad[64]! ^= 1;
    expect(() => encodePublicKeySpki('P-256', bad)).toThrow(PkiError);
    expect(() => decodePublicKeySpki(fromHex('3000'))).toThrow(PkiError);
  });
});
