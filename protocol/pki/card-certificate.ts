import 'reflect-metadata';
import { createHash } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { equalBytes, fromHex, toHex } from '../bytes.ts';
import { verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { parseOneTlv } from '../tlv/index.ts';
import { deterministicCrypto, ecSigningKey } from './deterministic-crypto.ts';
import type { IssuerCa } from './issuer-ca.ts';
import { PkiError } from './pki-error.ts';
import { decodePublicKeySpki, encodePublicKeySpki, keyIdentifier } from './spki.ts';

/** What the issuer certifies about a card (the card's `42` IIN and `45` CIN, GPCS H.2 / 11.3). */
export interface CardCertificateRequest {
  /** Uncompressed point 04‖X‖Y (65 bytes) of the card's signing key. */
  cardPublicKey: Uint8Array;
  curve: EcCurve;
  iin: Uint8Array;
  cin: Uint8Array;
  /** Certificate serial number, 1–20 bytes, not all zero (RFC 5280 §4.1.2.2). */
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/** What a verified card certificate says. */
export interface VerifiedCardCertificate {
  publicKey: Uint8Array;
  curve: EcCurve;
  iin: Uint8Array;
  cin: Uint8Array;
}

/**
 * The card's subject name: `OU=<IIN hex>, CN=<CIN hex>` (upper-case hex, the `42` and `45`
 * values the card reports in its SD unique data, reference §9.4).
 */
function cardSubject(iin: Uint8Array, cin: Uint8Array): Array<Record<string, string[]>> {
  return [{ OU: [toHex(iin)] }, { CN: [toHex(cin)] }];
}

/**
 * Issues a card certificate signed by the issuer CA (RFC 5280 profile: basicConstraints cA false,
 * keyUsage digitalSignature, subject and authority key identifiers), ECDSA/SHA-256 with RFC 6979
 * nonces — the same inputs give the same DER. The subject is `OU=<IIN hex>, CN=<CIN hex>`.
 * Throws PkiError UNSUPPORTED_KEY for a card key off its curve, RangeError for a bad serial number
 * or an empty IIN/CIN.
 */
export async function issueCardCertificate(ca: IssuerCa, request: CardCertificateRequest): Promise<Uint8Array> {
  const { serialNumber, iin, cin } = request;
  if (serialNumber.length < 1 || serialNumber.length > 20 || serialNumber.every((b) => b === 0)) throw new RangeError('serial number must be 1–20 bytes and not zero');
  if (iin.length === 0 || cin.length === 0) throw new RangeError('IIN and CIN must not be empty');
  const issuer = new X509Certificate(ca.certificate).subjectName;
  const certificate = await X509CertificateGenerator.create(
    {
      // x509 drops leading zeros and prepends 00 when b8 is set: the DER INTEGER stays positive.
      serialNumber: toHex(serialNumber),
      subject: cardSubject(iin, cin),
      issuer,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      publicKey: encodePublicKeySpki(request.curve, request.cardPublicKey),
      signingKey: ecSigningKey(ca.curve, ca.privateKey),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new SubjectKeyIdentifierExtension(toHex(keyIdentifier(request.cardPublicKey))),
        new AuthorityKeyIdentifierExtension(toHex(keyIdentifier(ca.publicKey))),
      ],
    },
    deterministicCrypto,
  );
  return new Uint8Array(certificate.rawData);
}

function parse(der: Uint8Array, what: string): X509Certificate {
  try {
    const certificate = new X509Certificate(der);
    // x509 decodes lazily: touch every field now so a malformed one is BAD_CERTIFICATE, not a crash later.
    void [certificate.subjectName, certificate.issuerName, certificate.notBefore, certificate.notAfter, certificate.extensions, certificate.signature];
    return certificate;
  } catch (cause) {
    throw new PkiError('BAD_CERTIFICATE', `${what} is not a DER X.509 certificate (${(cause as Error).message})`);
  }
}

/** The TBSCertificate exactly as received: the first element of `Certificate ::= SEQUENCE` (RFC 5280 §4.1). */
function tbsCertificate(der: Uint8Array): Uint8Array {
  try {
    const { tlv } = parseOneTlv(der);
    return tlv.value.subarray(0, parseOneTlv(tlv.value).next);
  } catch (cause) {
    throw new PkiError('BAD_CERTIFICATE', `certificate is not DER (${(cause as Error).message})`);
  }
}

function checkValidity(certificate: X509Certificate, at: Date, what: string): void {
  if (at < certificate.notBefore) throw new PkiError('NOT_YET_VALID', `${what} is valid from ${certificate.notBefore.toISOString()}`);
  if (at > certificate.notAfter) throw new PkiError('EXPIRED', `${what} expired ${certificate.notAfter.toISOString()}`);
}

function hexField(certificate: X509Certificate, field: 'CN' | 'OU'): Uint8Array {
  const values = certificate.subjectName.getField(field);
  if (values.length !== 1 || !/^(?:[0-9A-Fa-f]{2})+$/.test(values[0]!)) throw new PkiError('BAD_CERTIFICATE', `card certificate subject needs exactly one hex ${field}`);
  return fromHex(values[0]!);
}

/** A CA certificate as verification needs it, parsed once per CA (an issuer has one, maybe two in a rollover). */
interface ParsedCa {
  certificate: X509Certificate;
  subject: Uint8Array;
  key: { curve: EcCurve; publicKey: Uint8Array };
  keyId: string;
}

const CA_CACHE_SIZE = 8;
const parsedCas = new Map<string, ParsedCa>();

function parsedCa(der: Uint8Array): ParsedCa {
  const id = createHash('sha256').update(der).digest('hex');
  let ca = parsedCas.get(id);
  if (ca === undefined) {
    const certificate = parse(der, 'CA certificate');
    const key = decodePublicKeySpki(new Uint8Array(certificate.publicKey.rawData));
    ca = { certificate, subject: new Uint8Array(certificate.subjectName.toArrayBuffer()), key, keyId: toHex(keyIdentifier(key.publicKey)) };
    if (parsedCas.size >= CA_CACHE_SIZE) parsedCas.delete(parsedCas.keys().next().value!);
    parsedCas.set(id, ca);
  }
  return ca;
}

/**
 * Card certificates that verified, by SHA-256 of CA ‖ card DER (both self-delimiting): the same
 * bytes verify the same way, so a card's next install request skips parsing and the signature
 * check. Validity is still checked on every call; only successes are kept; least recently used
 * entries go first.
 */
const VERIFIED_CACHE_SIZE = 4096;
const verifiedCards = new Map<string, { result: VerifiedCardCertificate; notBefore: Date; notAfter: Date }>();

function copy(v: VerifiedCardCertificate): VerifiedCardCertificate {
  return { publicKey: v.publicKey.slice(), curve: v.curve, iin: v.iin.slice(), cin: v.cin.slice() };
}

function checkDates(notBefore: Date, notAfter: Date, at: Date, what: string): void {
  if (at < notBefore) throw new PkiError('NOT_YET_VALID', `${what} is valid from ${notBefore.toISOString()}`);
  if (at > notAfter) throw new PkiError('EXPIRED', `${what} expired ${notAfter.toISOString()}`);
}

/**
 * Verifies a card certificate against the issuer CA certificate (RFC 5280 §6.1.3 for one link):
 * issuer name and authority key identifier match the CA, the CA's ECDSA/SHA-256 signature over
 * the TBSCertificate verifies, both certificates are valid at `at` (default now), and the card key
 * is an uncompressed P-256 / brainpoolP256r1 point. Returns the key and the IIN (OU) and CIN (CN).
 * Throws PkiError.
 */
export async function verifyCardCertificate(caCertificate: Uint8Array, cardCertificate: Uint8Array, at: Date = new Date()): Promise<VerifiedCardCertificate> {
  const ca = parsedCa(caCertificate);
  const id = createHash('sha256').update(caCertificate).update(cardCertificate).digest('hex');
  const known = verifiedCards.get(id);
  if (known !== undefined) {
    verifiedCards.delete(id);
    verifiedCards.set(id, known);
    checkValidity(ca.certificate, at, 'CA certificate');
    checkDates(known.notBefore, known.notAfter, at, 'card certificate');
    return copy(known.result);
  }
  const card = parse(cardCertificate, 'card certificate');
  if (!equalBytes(new Uint8Array(card.issuerName.toArrayBuffer()), ca.subject)) {
    throw new PkiError('WRONG_ISSUER', `card certificate issued by "${card.issuer}", not by "${ca.certificate.subject}"`);
  }
  const aki = card.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  if (aki !== undefined && aki.toUpperCase() !== ca.keyId) throw new PkiError('WRONG_ISSUER', 'authority key identifier is not the CA key');
  const algorithm = card.signatureAlgorithm as { name?: string; hash?: { name?: string } };
  if (algorithm.name !== 'ECDSA' || algorithm.hash?.name !== 'SHA-256') throw new PkiError('BAD_SIGNATURE', 'card certificate is not signed with ecdsa-with-SHA256');
  if (!verifyEcdsa(ca.key.curve, ca.key.publicKey, tbsCertificate(cardCertificate), new Uint8Array(card.signature))) {
    throw new PkiError('BAD_SIGNATURE', 'the CA signature on the card certificate does not verify');
  }
  checkValidity(ca.certificate, at, 'CA certificate');
  checkValidity(card, at, 'card certificate');
  const { curve, publicKey } = decodePublicKeySpki(new Uint8Array(card.publicKey.rawData));
  const result: VerifiedCardCertificate = { publicKey, curve, iin: hexField(card, 'OU'), cin: hexField(card, 'CN') };
  if (verifiedCards.size >= VERIFIED_CACHE_SIZE) verifiedCards.delete(verifiedCards.keys().next().value!);
  verifiedCards.set(id, { result: copy(result), notBefore: card.notBefore, notAfter: card.notAfter });
  return result;
}
