import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.ts';
import { generateEcKeyPair, rawToDer, seededRandom, signEcdsa } from '../crypto/index.ts';
import { ApplicationRequestError, decodeApplicationRequest, encodeApplicationRequest, verifyApplicationRequestSignature, type ApplicationRequest } from './index.ts';

const REQUEST: ApplicationRequest = {
  serviceId: 'loyalty',
  cardId: fromHex('0102030405060708'),
  packageAid: fromHex('D0D1D2D3D4D501'),
  nonce: fromHex('000102030405060708090A0B0C0D0E0F'),
  expiresAt: 0x6955b900,
};
const ENCODED = '7134' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '82046955B900';

describe('application request: the card-signed service request (claim 3)', () => {
  it('encodes 71 { 80 45 4F 81 82 } in fixed order', () => {
    expect(toHex(encodeApplicationRequest(REQUEST))).toBe(ENCODED);
    expect(decodeApplicationRequest(fromHex(ENCODED))).toEqual(REQUEST);
  });

  it.each(['P-256', 'brainpoolP256r1'] as const)('verifies the card signature over the encoded bytes on %s', (curve) => {
    const card = generateEcKeyPair(curve, seededRandom(`request-${curve}`));
    const encoded = encodeApplicationRequest(REQUEST);
    const signature = signEcdsa(curve, card.privateKey, encoded);
    expect(verifyApplicationRequestSignature(curve, card.publicKey, encoded, signature)).toBe(true);
    expect(verifyApplicationRequestSignature(curve, card.publicKey, encoded, rawToDer(signature))).toBe(true);
    const altered = encodeApplicationRequest({ ...REQUEST, expiresAt: REQUEST.expiresAt + 1 });
    expect(verifyApplicationRequestSignature(curve, card.publicKey, altered, signature)).toBe(false);
    expect(verifyApplicationRequestSignature(curve, card.publicKey, encoded, signature.subarray(0, 63))).toBe(false);
  });

  it.each([
    ['another outer tag', ENCODED.replace(/^71/, '70')],
    ['fields out of order', '7134' + '45080102030405060708' + '80076C6F79616C7479' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '82046955B900'],
    ['a missing field', '712E' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F'],
    ['a 3-byte expiry', '7133' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '820355B900'],
    ['a 15-byte nonce', '7133' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '810F0102030405060708090A0B0C0D0E0F' + '82046955B900'],
    ['invalid UTF-8', '712F' + '8002C328' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '82046955B900'],
    ['a long length form', '718134' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '82046955B900'],
    ['trailing bytes', ENCODED + '00'],
  ])('refuses %s', (_name, text) => {
    expect(() => decodeApplicationRequest(fromHex(text))).toThrow(ApplicationRequestError);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeApplicationRequest({ ...REQUEST, nonce: new Uint8Array(8) })).toThrow(ApplicationRequestError);
    expect(() => encodeApplicationRequest({ ...REQUEST, serviceId: '' })).toThrow(ApplicationRequestError);
    expect(() => encodeApplicationRequest({ ...REQUEST, packageAid: new Uint8Array(4) })).toThrow(ApplicationRequestError);
    expect(() => encodeApplicationRequest({ ...REQUEST, expiresAt: 2 ** 32 })).toThrow(ApplicationRequestError);
  });

  it('round-trips every valid request (property)', () => {
    const request = fc.record({
      serviceId: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
      cardId: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      packageAid: fc.uint8Array({ minLength: 5, maxLength: 16 }),
      nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      expiresAt: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(request, (r) => {
        const encoded = encodeApplicationRequest(r);
        expect(decodeApplicationRequest(encoded)).toEqual(r);
      }),
    );
  });

  it('throws only ApplicationRequestError on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          decodeApplicationRequest(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ApplicationRequestError);
        }
      }),
    );
  });
});
