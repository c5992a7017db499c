import 'reflect-metadata';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, SubjectKeyIdentifierExtension, X509CertificateGenerator } from '@peculiar/x509';
import { toHex } from '../bytes.ts';
import { generateEcKeyPair, type EcCurve, type RandomSource } from '../crypto/index.ts';
import { deterministicCrypto, ecSigningKey } from './deterministic-crypto.ts';
import { encodePublicKeySpki, keyIdentifier } from './spki.ts';

/** The card issuer's certification authority: its self-signed certificate and key pair. */
export interface IssuerCa {
  /** DER X.509 v3 certificate. */
  certificate: Uint8Array;
  /** Raw private scalar, 32 bytes. */
  privateKey: Uint8Array;
  /** Uncompressed point 04‖X‖Y, 65 bytes. */
  publicKey: Uint8Array;
  curve: EcCurve;
}

/** Fixed defaults keep certificates reproducible: a clock would not be. */
export const DEFAULT_CA_NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
export const DEFAULT_CA_NOT_AFTER = new Date('2049-12-31T23:59:59Z');

/**
 * A serial number from the RandomSource (RFC 5280 §4.1.2.2): 16 bytes, positive and never zero
 * (b8 of the first byte cleared, b7 set), so x509 never draws one itself.
 */
export function randomSerialNumber(random: RandomSource): Uint8Array {
  const serial = random.bytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

/**
 * Creates the issuer CA (RFC 5280 §4.2.1.9 basicConstraints cA, §4.2.1.3 keyCertSign | cRLSign,
 * §4.2.1.2 subjectKeyIdentifier): key pair first, then the serial number, both from `random`;
 * self-signed with ECDSA/SHA-256, RFC 6979 nonces. The same inputs give the same DER.
 * Subject `CN=<name>` (default "cardlab Issuer CA"); validity 2025-01-01 … 2049-12-31 by default.
 */
export async function createIssuerCa(o: { curve?: EcCurve; random: RandomSource; name?: string; notBefore?: Date; notAfter?: Date }): Promise<IssuerCa> {
  const curve = o.curve ?? 'P-256';
  const { privateKey, publicKey } = generateEcKeyPair(curve, o.random);
  const serial = randomSerialNumber(o.random);
  const name = [{ CN: [o.name ?? 'cardlab Issuer CA'] }];
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: toHex(serial),
      subject: name,
      issuer: name,
      notBefore: o.notBefore ?? DEFAULT_CA_NOT_BEFORE,
      notAfter: o.notAfter ?? DEFAULT_CA_NOT_AFTER,
      publicKey: encodePublicKeySpki(curve, publicKey),
      signingKey: ecSigningKey(curve, privateKey),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        new SubjectKeyIdentifierExtension(toHex(keyIdentifier(publicKey))),
      ],
    },
    deterministicCrypto,
  );
  return { certificate: new Uint8Array(certificate.rawData), privateKey, publicKey, curve };
}
