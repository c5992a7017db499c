import { toHex } from '../bytes.ts';
import { parseOneTlv, type Tlv } from '../tlv/index.ts';
import { PkiError } from './pki-error.ts';

/**
 * The fields of an X.509 certificate that verifying a card certificate needs, read straight from
 * its DER (RFC 5280 §4.1) — one pass over the bytes, where a general X.509 library decodes every
 * extension into objects (it was the largest cost of an install request):
 *
 * ```
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT INTEGER DEFAULT v1, serialNumber INTEGER, signature AlgorithmIdentifier,
 *   issuer Name, validity SEQUENCE { notBefore Time, notAfter Time }, subject Name, subjectPublicKeyInfo SEQUENCE,
 *   issuerUniqueID [1] IMPLICIT OPTIONAL, subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT SEQUENCE OF Extension OPTIONAL }
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * ```
 */
export interface CertificateDer {
  /** The TBSCertificate exactly as received (what the signature covers). */
  tbs: Uint8Array;
  /** The outer signatureAlgorithm, whole (tag and length included). */
  signatureAlgorithm: Uint8Array;
  /** The signature bits (the BIT STRING without its unused-bits byte, which must be 00). */
  signature: Uint8Array;
  /** issuer and subject Names, whole: names match byte for byte (RFC 5280 §7.1 for identical encoders). */
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** subjectPublicKeyInfo, whole. */
  spki: Uint8Array;
  /** Each subject and issuer attribute: OID (hex of its content octets) and string value. */
  subjectAttributes: Array<{ oid: string; value: string }>;
  issuerAttributes: Array<{ oid: string; value: string }>;
  /** Extensions by OID (hex of the content octets). */
  extensions: Map<string, { critical: boolean; value: Uint8Array }>;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const BOOLEAN = 0x01;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
/** Directory string types a Name's attribute values come in (RFC 5280 §4.1.2.4). */
const STRING_TAGS = new Set([0x0c /* UTF8String */, 0x13 /* PrintableString */, 0x16 /* IA5String */, 0x14 /* TeletexString */]);

function bad(message: string): PkiError {
  return new PkiError('BAD_CERTIFICATE', message);
}

/** The elements inside `value`, each with its whole encoding; they must fill it exactly. */
function elements(value: Uint8Array): Array<{ tlv: Tlv; whole: Uint8Array }> {
  const out: Array<{ tlv: Tlv; whole: Uint8Array }> = [];
  for (let at = 0; at < value.length; ) {
    const { tlv, next } = parseOneTlv(value, at);
    out.push({ tlv, whole: value.subarray(at, next) });
    at = next;
  }
  return out;
}

function expect(e: { tlv: Tlv } | undefined, tag: number, what: string): Tlv {
  if (e === undefined || e.tlv.tag !== tag) throw bad(`${what} missing or of the wrong type`);
  return e.tlv;
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5). */
function time(t: Tlv): Date {
  const text = latin1(t.value);
  const m = t.tag === UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : t.tag === GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!m) throw bad('validity is not a UTCTime or GeneralizedTime in Z');
  let year = Number(m[1]);
  if (t.tag === UTC_TIME) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = m.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw bad('validity is not a calendar time');
  return date;
}

function nameAttributes(name: Tlv): Array<{ oid: string; value: string }> {
  const out: Array<{ oid: string; value: string }> = [];
  for (const rdn of elements(name.value)) {
    if (rdn.tlv.tag !== SET) throw bad('a name is not a sequence of sets');
    for (const atv of elements(rdn.tlv.value)) {
      const [type, value, ...rest] = elements(expect(atv, SEQUENCE, 'attribute').value);
      if (rest.length > 0 || value === undefined || !STRING_TAGS.has(value.tlv.tag)) throw bad('a name attribute is not a type and a string');
      const text = value.tlv.tag === 0x0c ? Buffer.from(value.tlv.value).toString('utf8') : latin1(value.tlv.value);
      out.push({ oid: toHex(expect(type, OID, 'attribute type').value), value: text });
    }
  }
  return out;
}

function extensionsOf(list: Tlv): Map<string, { critical: boolean; value: Uint8Array }> {
  const out = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const e of elements(list.value)) {
    const parts = elements(expect(e, SEQUENCE, 'extension').value);
    const oid = toHex(expect(parts[0], OID, 'extension id').value);
    let critical = false;
    let i = 1;
    if (parts[i]?.tlv.tag === BOOLEAN) {
      const b = parts[i]!.tlv.value;
      // DER: DEFAULT FALSE is never encoded, TRUE is FF.
      if (b.length !== 1 || b[0] !== 0xff) throw bad('extension criticality is not DER TRUE');
      critical = true;
      i++;
    }
    const value = expect(parts[i], OCTET_STRING, 'extension value').value;
    if (parts.length !== i + 1) throw bad('extension has trailing fields');
    if (out.has(oid)) throw bad('an extension appears twice');
    out.set(oid, { critical, value });
  }
  return out;
}

/** Reads a DER certificate's fields (above); anything off the structure is PkiError BAD_CERTIFICATE. */
export function readCertificateDer(der: Uint8Array, what = 'certificate'): CertificateDer {
  try {
    const { tlv: certificate, next } = parseOneTlv(der);
    if (certificate.tag !== SEQUENCE || next !== der.length) throw bad('not one SEQUENCE');
    const [tbsElement, algorithm, signatureValue, ...rest] = elements(certificate.value);
    if (rest.length > 0) throw bad('trailing fields');
    const tbs = expect(tbsElement, SEQUENCE, 'tbsCertificate');
    expect(algorithm, SEQUENCE, 'signatureAlgorithm');
    const bits = expect(signatureValue, BIT_STRING, 'signatureValue').value;
    if (bits.length < 2 || bits[0] !== 0) throw bad('signature is not a whole number of bytes');

    const fields = elements(tbs.value);
    let i = 0;
    if (fields[0]?.tlv.tag === 0xa0) {
      const [version, ...more] = elements(fields[0].tlv.value);
      const v = expect(version, INTEGER, 'version').value;
      if (more.length > 0 || v.length !== 1 || v[0]! > 2) throw bad('unknown version');
      i++;
    }
    expect(fields[i++], INTEGER, 'serialNumber');
    const innerAlgorithm = fields[i++];
    expect(innerAlgorithm, SEQUENCE, 'signature');
    // RFC 5280 §4.1.1.2: the signature field inside must be the one outside.
    if (toHex(innerAlgorithm!.whole) !== toHex(algorithm!.whole)) throw bad('the two signature algorithms differ');
    const issuer = fields[i++];
    expect(issuer, SEQUENCE, 'issuer');
    const [notBefore, notAfter, ...tooMany] = elements(expect(fields[i++], SEQUENCE, 'validity').value);
    if (notBefore === undefined || notAfter === undefined || tooMany.length > 0) throw bad('validity is not two times');
    const subject = fields[i++];
    const subjectAttributes = nameAttributes(expect(subject, SEQUENCE, 'subject'));
    const issuerAttributes = nameAttributes(issuer!.tlv);
    const spki = fields[i++];
    expect(spki, SEQUENCE, 'subjectPublicKeyInfo');
    if (fields[i]?.tlv.tag === 0x81) i++;
    if (fields[i]?.tlv.tag === 0x82) i++;
    let extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
    if (fields[i]?.tlv.tag === 0xa3) {
      const [list, ...more] = elements(fields[i]!.tlv.value);
      if (more.length > 0) throw bad('extensions hold more than one list');
      extensions = extensionsOf(expect(list, SEQUENCE, 'extensions'));
      i++;
    }
    if (i !== fields.length) throw bad('tbsCertificate has trailing fields');
    return {
      tbs: tbsElement!.whole,
      signatureAlgorithm: algorithm!.whole,
      signature: bits.subarray(1),
      issuer: issuer!.whole,
      subject: subject!.whole,
      notBefore: time(notBefore.tlv),
      notAfter: time(notAfter.tlv),
      spki: spki!.whole,
      subjectAttributes,
      issuerAttributes,
      extensions,
    };
  } catch (err) {
    throw new PkiError('BAD_CERTIFICATE', `${what} is not a DER X.509 certificate (${(err as Error).message})`);
  }
}

const SHORT_NAMES: Record<string, string> = { '550403': 'CN', '55040B': 'OU', '55040A': 'O', '550406': 'C' };

/** A Name's attributes as `OU=…, CN=…` (for messages). */
export function describeName(attributes: Array<{ oid: string; value: string }>): string {
  return attributes.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${a.value}`).join(', ');
}
