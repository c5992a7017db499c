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
import { describeName, readCertificateDer, type CertificateDer } from './certificate-der.ts';
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

/** A CA certificate as verification needs it, read once per CA (an issuer has one, maybe two in a rollover). */
interface ParsedCa {
  fields: CertificateDer;
  key: { curve: EcCurve; publicKey: Uint8Array };
  keyId: string;
}

const CA_CACHE_SIZE = 8;
const parsedCas = new Map<string, ParsedCa>();

function parsedCa(der: Uint8Array): ParsedCa {
  const id = createHash('sha256').update(der).digest('hex');
  let ca = parsedCas.get(id);
  if (ca === undefined) {
    const fields = readCertificateDer(der, 'CA certificate');
    const key = decodePublicKeySpki(fields.spki);
    ca = { fields, key, keyId: toHex(keyIdentifier(key.publicKey)) };
    if (parsedCas.size >= CA_CACHE_SIZE) parsedCas.delete(parsedCas.keys().next().value!);
    parsedCas.set(id, ca);
  }
  return ca;
}

/** ecdsa-with-SHA256 (1.2.840.10045.4.3.2, RFC 5758 §3.2: parameters absent), as a whole AlgorithmIdentifier. */
const ECDSA_WITH_SHA256 = '300A06082A8648CE3D040302';
const AUTHORITY_KEY_IDENTIFIER = '551D23';
const OU = '55040B';
const CN = '550403';

/** The `keyIdentifier [0]` of an AuthorityKeyIdentifier extension value (RFC 5280 §4.2.1.1), if any. */
function authorityKeyId(value: Uint8Array): string | undefined {
  try {
    const { tlv, next } = parseOneTlv(value);
    if (tlv.tag !== 0x30 || next !== value.length) throw new Error('not a SEQUENCE');
    for (let at = 0; at < tlv.value.length; ) {
      const { tlv: field, next: after } = parseOneTlv(tlv.value, at);
      if (field.tag === 0x80) return toHex(field.value);
      at = after;
    }
    return undefined;
  } catch (cause) {
    throw new PkiError('BAD_CERTIFICATE', `card certificate authority key identifier is not DER (${(cause as Error).message})`);
  }
}

function hexAttribute(fields: CertificateDer, oid: string, name: string): Uint8Array {
  const values = fields.subjectAttributes.filter((a) => a.oid === oid).map((a) => a.value);
  if (values.length !== 1 || !/^(?:[0-9A-Fa-f]{2})+$/.test(values[0]!)) throw new PkiError('BAD_CERTIFICATE', `card certificate subject needs exactly one hex ${name}`);
  return fromHex(values[0]!);
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
    checkDates(ca.fields.notBefore, ca.fields.notAfter, at, 'CA certificate');
    checkDates(known.notBefore, known.notAfter, at, 'card certificate');
    return copy(known.result);
  }
  const card = readCertificateDer(cardCertificate, 'card certificate');
  if (!equalBytes(card.issuer, ca.fields.subject)) {
    throw new PkiError('WRONG_ISSUER', `card certificate issued by "${describeName(card.issuerAttributes)}", not by "${describeName(ca.fields.subjectAttributes)}"`);
  }
  const aki = card.extensions.get(AUTHORITY_KEY_IDENTIFIER);
  const akiId = aki === undefined ? undefined : authorityKeyId(aki.value);
  if (akiId !== undefined && akiId !== ca.keyId) throw new PkiError('WRONG_ISSUER', 'authority key identifier is not the CA key');
  if (toHex(card.signatureAlgorithm) !== ECDSA_WITH_SHA256) throw new PkiError('BAD_SIGNATURE', 'card certificate is not signed with ecdsa-with-SHA256');
  if (!verifyEcdsa(ca.key.curve, ca.key.publicKey, card.tbs, card.signature)) {
    throw new PkiError('BAD_SIGNATURE', 'the CA signature on the card certificate does not verify');
  }
  checkDates(ca.fields.notBefore, ca.fields.notAfter, at, 'CA certificate');
  checkDates(card.notBefore, card.notAfter, at, 'card certificate');
  const { curve, publicKey } = decodePublicKeySpki(card.spki);
  const result: VerifiedCardCertificate = { publicKey, curve, iin: hexAttribute(card, OU, 'OU'), cin: hexAttribute(card, CN, 'CN') };
  if (verifiedCards.size >= VERIFIED_CACHE_SIZE) verifiedCards.delete(verifiedCards.keys().next().value!);
  verifiedCards.set(id, { result: copy(result), notBefore: card.notBefore, notAfter: card.notAfter });
  return result;
}
