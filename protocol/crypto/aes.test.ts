import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, aesEcbEncryptBlock } from './aes.ts';
import { CryptoError } from './crypto-error.ts';

describe('aes', () => {
  it('encrypts the FIPS 197 C.1 AES-128 example block', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f');
    expect(toHex(aesEcbEncryptBlock(key, fromHex('00112233445566778899aabbccddeeff')))).toBe('69C4E0D86A7B0430D8CDB78070B4C55A');
  });

  it('encrypts the FIPS 197 C.3 AES-256 example block, twice in a row with the cached cipher', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const block = fromHex('00112233445566778899aabbccddeeff');
    expect(toHex(aesEcbEncryptBlock(key, block))).toBe('8EA2B7CA516745BFEAFC49904B496089');
    expect(toHex(aesEcbEncryptBlock(key, block))).toBe('8EA2B7CA516745BFEAFC49904B496089');
  });

  it('CBC-encrypts the SP 800-38A F.2.1 AES-128 example and decrypts it back', () => {
    const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
    const iv = fromHex('000102030405060708090a0b0c0d0e0f');
    const plain = fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
    const cipher = aesCbcEncrypt(key, iv, plain);
    expect(toHex(cipher)).toBe('7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B2');
    expect(toHex(aesCbcDecrypt(key, iv, cipher))).toBe(toHex(plain));
  });

  it('agrees with node:crypto CBC for AES-192 over many blocks', () => {
    const key = fromHex('8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b');
    const iv = fromHex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
    const plain = Uint8Array.from({ length: 240 }, (_, i) => (i * 7) & 0xff);
    const reference = createCipheriv('aes-192-cbc', key, iv).setAutoPadding(false).update(plain);
    expect(toHex(aesCbcEncrypt(key, iv, plain))).toBe(toHex(reference));
    expect(toHex(aesCbcDecrypt(key, iv, reference))).toBe(toHex(plain));
  });

  it('refuses data that is not a whole number of blocks (BAD_LENGTH)', () => {
    const key = new Uint8Array(16);
    expect(() => aesCbcEncrypt(key, new Uint8Array(16), new Uint8Array(15))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => aesCbcDecrypt(key, new Uint8Array(16), new Uint8Array(17))).toThrow(CryptoError);
  });

  it('refuses a key that is not 16, 24 or 32 bytes (BAD_KEY)', () => {
    expect(() => aesEcbEncryptBlock(new Uint8Array(20), new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });
});
