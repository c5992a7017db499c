import { constants, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { equalBytes } from '../bytes.ts';
import { aesCmac, CryptoError, signEcdsa, verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { buildTlv } from '../tlv/index.ts';

/** The key a Security Domain verifies a DAP with (GPCS C.3; the DAP key of the SD's key set). */
export type DapPublicKey =
  | { type: 'ecdsa'; curve: EcCurve; publicKey: Uint8Array }
  | { type: 'rsa'; modulus: Uint8Array; exponent: Uint8Array }
  | { type: 'aes'; key: Uint8Array };

/** The key the off-card DAP signer (Controlling Authority or Application Provider) signs with. */
export type DapPrivateKey =
  | { type: 'ecdsa'; curve: EcCurve; privateKey: Uint8Array }
  | { type: 'rsa'; /** PKCS#8 DER */ pkcs8: Uint8Array }
  | { type: 'aes'; key: Uint8Array };

// GPCS C.3 / B.3: up to 1024 bits PKCS#1 v1.5 with SHA-1, above that PSS with SHA-256 and a 32-byte salt.
function rsaOptions(key: KeyObject, modulusBits: number) {
  return modulusBits <= 1024
    ? { hash: 'sha1', options: { key, padding: constants.RSA_PKCS1_PADDING } }
    : { hash: 'sha256', options: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/**
 * Signs a Load File Data Block Hash — the message of a DAP is the LFDBH, not the LFDB (GPCS C.3,
 * reference §7.3): ECDSA/SHA-256 raw r‖s (64 bytes), RSA-1024 PKCS#1 v1.5 SHA-1, RSA > 1024 PSS
 * SHA-256 salt 32 (modulus-size bytes), AES-CMAC (16 bytes, AMD-D 8.1).
 */
export function signDap(key: DapPrivateKey, lfdbHash: Uint8Array): Uint8Array {
  switch (key.type) {
    case 'ecdsa':
      return signEcdsa(key.curve, key.privateKey, lfdbHash);
    case 'aes':
      return aesCmac(key.key, lfdbHash);
    case 'rsa': {
      let keyObject: KeyObject;
      try {
        keyObject = createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' });
      } catch (cause) {
        throw new CryptoError('BAD_KEY', `not an RSA PKCS#8 private key (${(cause as Error).message})`);
      }
      const bits = keyObject.asymmetricKeyDetails?.modulusLength;
      if (keyObject.asymmetricKeyType !== 'rsa' || bits === undefined) throw new CryptoError('BAD_KEY', 'DAP key of type rsa is not an RSA key');
      const { hash, options } = rsaOptions(keyObject, bits);
      return new Uint8Array(nodeSign(hash, lfdbHash, options));
    }
  }
}

/**
 * Verifies a DAP (Load File Data Block Signature) over the LFDBH as an SD does at the last LOAD
 * (GPCS 9.3.5, C.3). A wrong or malformed signature returns false; an unusable key throws CryptoError.
 */
export function verifyDap(key: DapPublicKey, lfdbHash: Uint8Array, signature: Uint8Array): boolean {
  switch (key.type) {
    case 'ecdsa':
      return verifyEcdsa(key.curve, key.publicKey, lfdbHash, signature);
    case 'aes':
      return signature.length === 16 && equalBytes(aesCmac(key.key, lfdbHash), signature);
    case 'rsa': {
      const modulus = stripLeadingZeros(key.modulus);
      const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
      let keyObject: KeyObject;
      try {
        keyObject = createPublicKey({ key: { kty: 'RSA', n: b64url(modulus), e: b64url(stripLeadingZeros(key.exponent)) }, format: 'jwk' });
      } catch (cause) {
        throw new CryptoError('BAD_KEY', `not a usable RSA public key (${(cause as Error).message})`);
      }
      if (signature.length !== modulus.length) return false;
      const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? modulus.length * 8;
      const { hash, options } = rsaOptions(keyObject, bits);
      try {
        return nodeVerify(hash, lfdbHash, options, signature);
      } catch {
        return false;
      }
    }
  }
}

/** A DAP block of the Load File (GPCS Table 11-58): `E2 { 4F <SD AID> C3 <signature> }`. */
export function buildDapBlock(sdAid: Uint8Array, signature: Uint8Array): Uint8Array {
  return buildTlv(0xe2, [buildTlv(0x4f, sdAid), buildTlv(0xc3, signature)]);
}
