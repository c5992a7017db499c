import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { derToRaw, generateP256KeyPair, rawToDer, signP256, verifyP256 } from './ecdsa.ts';
import { seededRandom } from './random-source.ts';

// RFC 6979 A.2.5: ECDSA, 256 bits (prime field), with SHA-256.
const PRIVATE = fromHex('C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721');
const PUBLIC = fromHex(
  '04 60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6 7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299',
);
const SAMPLE = new TextEncoder().encode('sample');
const TEST = new TextEncoder().encode('test');
const SAMPLE_SIG = 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716' + 'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8';
const TEST_SIG = 'F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367' + '019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083';

describe('ECDSA P-256', () => {
  it('signs "sample" exactly as RFC 6979 A.2.5 (deterministic k, s not normalised to low-S)', () => {
    expect(toHex(signP256(PRIVATE, SAMPLE))).toBe(SAMPLE_SIG);
  });

  it('signs "test" exactly as RFC 6979 A.2.5 (an s with a leading zero byte)', () => {
    expect(toHex(signP256(PRIVATE, TEST))).toBe(TEST_SIG);
  });

  it('verifies the RFC 6979 signatures in raw and DER form', () => {
    expect(verifyP256(PUBLIC, SAMPLE, fromHex(SAMPLE_SIG))).toBe(true);
    expect(verifyP256(PUBLIC, TEST, rawToDer(fromHex(TEST_SIG)))).toBe(true);
  });

  it('rejects a signature over another message, a flipped bit and garbage', () => {
    expect(verifyP256(PUBLIC, TEST, fromHex(SAMPLE_SIG))).toBe(false);
    const flipped = fromHex(SAMPLE_SIG);
    flipped[10] = flipped[10]! ^ 0x01;
    expect(verifyP256(PUBLIC, SAMPLE, flipped)).toBe(false);
    expect(verifyP256(PUBLIC, SAMPLE, fromHex('3006020101020101FF'))).toBe(false);
  });

  it('throws BAD_KEY for a public key that is not an uncompressed point', () => {
    expect(() => verifyP256(PUBLIC.subarray(0, 33), SAMPLE, fromHex(SAMPLE_SIG))).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('derives the same key pair from the same seed, and a pair that signs and verifies', () => {
    const a = generateP256KeyPair(seededRandom('dap-key'));
    const b = generateP256KeyPair(seededRandom('dap-key'));
    expect(toHex(a.privateKey)).toBe(toHex(b.privateKey));
    expect(a.publicKey.length).toBe(65);
    expect(a.publicKey[0]).toBe(0x04);
    expect(verifyP256(a.publicKey, SAMPLE, signP256(a.privateKey, SAMPLE))).toBe(true);
  });

  it('draws again when the random bytes are not a valid scalar', () => {
    const draws = [new Uint8Array(32).fill(0xff), new Uint8Array(32), PRIVATE];
    const pair = generateP256KeyPair({ bytes: () => draws.shift()! });
    expect(toHex(pair.publicKey)).toBe(toHex(PUBLIC));
  });
});

describe('DER ⇄ raw signatures', () => {
  it('encodes r and s as minimal positive INTEGERs and back', () => {
    const der = rawToDer(fromHex(TEST_SIG));
    // r has its high bit set (leading 00), s starts with 01 (kept as is): 30 45 02 21 00.. 02 20 01..
    expect(toHex(der.subarray(0, 5))).toBe('3045022100');
    expect(toHex(der.subarray(37, 40))).toBe('022001');
    expect(toHex(derToRaw(der))).toBe(TEST_SIG);
  });

  it('left-pads short integers to the field size', () => {
    expect(toHex(derToRaw(fromHex('3006020101020102'), 4))).toBe('0000000100000002');
    expect(toHex(rawToDer(fromHex('0000000100000002')))).toBe('3006020101020102');
  });

  it('refuses non-minimal, negative, oversized and trailing encodings (BAD_DER)', () => {
    const bad = {
      'non-minimal INTEGER': '300702020001020102',
      'negative INTEGER': '30060201FF020101',
      'bytes after the SEQUENCE': '3006020101020102FF',
      'not a SEQUENCE': '3106020101020102',
      'bytes inside the SEQUENCE after s': '30080201010201020000',
      'non-minimal long-form length': '308106020101020102',
      'empty INTEGER': '30050200020102',
    };
    for (const [why, der] of Object.entries(bad)) {
      expect(() => derToRaw(fromHex(der), 4), why).toThrow(expect.objectContaining({ code: 'BAD_DER' }));
    }
    expect(() => derToRaw(fromHex('300702020101020101'), 1), 'r longer than the field').toThrow(expect.objectContaining({ code: 'BAD_DER' }));
  });
});
