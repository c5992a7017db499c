import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { fromHex, toHex } from '../bytes.ts';
import { generateEcKeyPair, seededRandom, sha256 } from '../crypto/index.ts';
import { buildDapBlock, signDap, verifyDap, type DapPrivateKey, type DapPublicKey } from './dap.ts';

const SD = fromHex('A000000151000000');
const LFDBH = fromHex('60A16FEA3D7BAF74DFE112ABF645972D6869EDEE8A46F4109CE78F40D33E57B5');

function rsaKeys(bits: number): { priv: DapPrivateKey; pub: DapPublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    priv: { type: 'rsa', pkcs8: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })) },
    pub: { type: 'rsa', modulus: new Uint8Array(Buffer.from(jwk.n!, 'base64url')), exponent: new Uint8Array(Buffer.from(jwk.e!, 'base64url')) },
  };
}

function flipped(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

describe('DAP: Load File Data Block Signature over the LFDBH (GPCS C.3, reference §7.3)', () => {
  const ec = generateEcKeyPair('P-256', seededRandom('dap'));
  const bp = generateEcKeyPair('brainpoolP256r1', seededRandom('dap'));
  const aes = fromHex('404142434445464748494A4B4C4D4E4F');
  const rsa1024 = rsaKeys(1024);
  const rsa2048 = rsaKeys(2048);

  const cases: Array<[string, DapPrivateKey, DapPublicKey, number, string]> = [
    ['ECDSA P-256', { type: 'ecdsa', curve: 'P-256', privateKey: ec.privateKey }, { type: 'ecdsa', curve: 'P-256', publicKey: ec.publicKey }, 64, 'E24C4F08A000000151000000C340'],
    ['ECDSA brainpoolP256r1', { type: 'ecdsa', curve: 'brainpoolP256r1', privateKey: bp.privateKey }, { type: 'ecdsa', curve: 'brainpoolP256r1', publicKey: bp.publicKey }, 64, 'E24C4F08A000000151000000C340'],
    ['AES-CMAC', { type: 'aes', key: aes }, { type: 'aes', key: aes }, 16, 'E21C4F08A000000151000000C310'],
    ['RSA-1024 PKCS#1 v1.5 SHA-1', rsa1024.priv, rsa1024.pub, 128, 'E2818D4F08A000000151000000C38180'],
    ['RSA-2048 PSS SHA-256', rsa2048.priv, rsa2048.pub, 256, 'E282010E4F08A000000151000000C3820100'],
  ];

  it.each(cases)('%s: signs, verifies, and the DAP block has the reference size', (_name, priv, pub, size, header) => {
    const signature = signDap(priv, LFDBH);
    expect(signature.length).toBe(size);
    expect(verifyDap(pub, LFDBH, signature)).toBe(true);
    expect(toHex(buildDapBlock(SD, signature))).toBe(header + toHex(signature));
  });

  it.each(cases)('%s: refuses an altered signature or another hash', (_name, priv, pub) => {
    const signature = signDap(priv, LFDBH);
    expect(verifyDap(pub, LFDBH, flipped(signature))).toBe(false);
    expect(verifyDap(pub, sha256(LFDBH), signature)).toBe(false);
    expect(verifyDap(pub, LFDBH, signature.subarray(1))).toBe(false);
  });

  it('signs the hash, not the block: RSA-1024 verifies as SHA1withRSA over the LFDBH', async () => {
    const { createVerify, createPublicKey } = await import('node:crypto');
    const signature = signDap(rsa1024.priv, LFDBH);
    const key = createPublicKey({ key: { kty: 'RSA', n: Buffer.from((rsa1024.pub as { modulus: Uint8Array }).modulus).toString('base64url'), e: 'AQAB' }, format: 'jwk' });
    expect(createVerify('sha1').update(LFDBH).verify(key, signature)).toBe(true);
  });
});
