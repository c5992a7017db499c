import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../bytes.ts';
import { CryptoError } from './crypto-error.ts';
import { rawToDer } from './der-signature.ts';
import { generateP256KeyPair } from './ecdsa.ts';
import { EC_CURVES, generateEcKeyPair, isValidEcPublicKey, signEcdsa, verifyEcdsa } from './ecdsa-curves.ts';
import { seededRandom } from './random-source.ts';

const MESSAGE = new TextEncoder().encode('sample');

describe.each(EC_CURVES)('ECDSA/SHA-256 on %s', (curve) => {
  const keys = generateEcKeyPair(curve, seededRandom(`ecdsa-${curve}`));

  it('generates the same 32/65-byte key pair from the same seed', () => {
    expect(keys.privateKey.length).toBe(32);
    expect(keys.publicKey.length).toBe(65);
    expect(toHex(generateEcKeyPair(curve, seededRandom(`ecdsa-${curve}`)).publicKey)).toBe(toHex(keys.publicKey));
    expect(isValidEcPublicKey(curve, keys.publicKey)).toBe(true);
  });

  it('signs deterministically (RFC 6979) as raw r‖s and verifies raw and DER', () => {
    const sig = signEcdsa(curve, keys.privateKey, MESSAGE);
    expect(sig.length).toBe(64);
    expect(toHex(signEcdsa(curve, keys.privateKey, MESSAGE))).toBe(toHex(sig));
    expect(verifyEcdsa(curve, keys.publicKey, MESSAGE, sig)).toBe(true);
    expect(verifyEcdsa(curve, keys.publicKey, MESSAGE, rawToDer(sig))).toBe(true);
  });

  it('returns false, never throws, for a wrong or malformed signature (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (junk) => {
        expect(verifyEcdsa(curve, keys.publicKey, MESSAGE, junk)).toBe(false);
      }),
      { numRuns: 50 },
    );
    const sig = signEcdsa(curve, keys.privateKey, MESSAGE);
    sig[10]! ^= 1;
    expect(verifyEcdsa(curve, keys.publicKey, MESSAGE, sig)).toBe(false);
  });

  it('throws CryptoError BAD_KEY for a public key off the curve', () => {
    const bad = keys.publicKey.slice();
    bad[64]! ^= 1;
    expect(() => verifyEcdsa(curve, bad, MESSAGE, new Uint8Array(64))).toThrow(CryptoError);
  });
});

describe('curves are not interchangeable', () => {
  it('matches generateP256KeyPair for P-256 and rejects a brainpool signature under the same scalar', () => {
    const p = generateEcKeyPair('P-256', seededRandom(1));
    expect(toHex(p.publicKey)).toBe(toHex(generateP256KeyPair(seededRandom(1)).publicKey));
    const b = generateEcKeyPair('brainpoolP256r1', seededRandom(1));
    const sig = signEcdsa('brainpoolP256r1', b.privateKey, MESSAGE);
    expect(verifyEcdsa('P-256', p.publicKey, MESSAGE, sig)).toBe(false);
    expect(isValidEcPublicKey('P-256', b.publicKey)).toBe(false);
  });
});
