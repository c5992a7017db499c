import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.ts';
import { generateEcKeyPair, seededRandom, signEcdsa } from '../crypto/index.ts';
import { ApplicationRequestError, decodeApplicationRequest, decodeStartRequest, encodeApplicationRequest, encodeStartRequest, StartRequestError, verifyApplicationRequestSignature, verifyStartRequestSignature, type StartRequest } from './index.ts';

const REQUEST: StartRequest = {
  serviceId: 'loyalty',
  cardId: fromHex('0102030405060708'),
  instanceAid: fromHex('D0D1D2D3D4D501'),
  nonce: fromHex('000102030405060708090A0B0C0D0E0F'),
  expiresAt: 0x6955b900,
};
const ENCODED = '7234' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '82046955B900';

describe('start request: the card-signed service start', () => {
  it('encodes 72 { 80 45 4F 81 82 } in fixed order and decodes it back', () => {
    expect(toHex(encodeStartRequest(REQUEST))).toBe(ENCODED);
    expect(decodeStartRequest(fromHex(ENCODED))).toEqual(REQUEST);
  });

  it('is never an application request, and the reverse: the same fields, another outer tag', () => {
    const application = encodeApplicationRequest({ ...REQUEST, packageAid: REQUEST.instanceAid });
    expect(() => decodeStartRequest(application)).toThrow(StartRequestError);
    expect(() => decodeApplicationRequest(fromHex(ENCODED))).toThrow(ApplicationRequestError);
    const card = generateEcKeyPair('P-256', seededRandom('start-request'));
    const signature = signEcdsa('P-256', card.privateKey, application);
    expect(verifyApplicationRequestSignature('P-256', card.publicKey, application, signature)).toBe(true);
    expect(verifyStartRequestSignature('P-256', card.publicKey, fromHex(ENCODED), signature)).toBe(false);
  });

  it('verifies the card signature over the encoded bytes and refuses any change', () => {
    const card = generateEcKeyPair('P-256', seededRandom('start-request'));
    const encoded = encodeStartRequest(REQUEST);
    const signature = signEcdsa('P-256', card.privateKey, encoded);
    expect(verifyStartRequestSignature('P-256', card.publicKey, encoded, signature)).toBe(true);
    expect(verifyStartRequestSignature('P-256', card.publicKey, encodeStartRequest({ ...REQUEST, expiresAt: REQUEST.expiresAt + 1 }), signature)).toBe(false);
  });

  it.each([
    ['fields out of order', '7234' + '45080102030405060708' + '80076C6F79616C7479' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F' + '82046955B900'],
    ['a missing field', '722E' + '80076C6F79616C7479' + '45080102030405060708' + '4F07D0D1D2D3D4D501' + '8110000102030405060708090A0B0C0D0E0F'],
    ['a long length form', '728134' + ENCODED.slice(4)],
    ['trailing bytes', ENCODED + '00'],
  ])('refuses %s', (_name, text) => {
    expect(() => decodeStartRequest(fromHex(text))).toThrow(StartRequestError);
  });

  it('throws only StartRequestError on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          decodeStartRequest(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(StartRequestError);
        }
      }),
    );
  });
});
