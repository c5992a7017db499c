import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { aesCmac } from './aes-cmac.ts';

// The 64-byte message shared by RFC 4493 §4 and NIST SP 800-38B Appendix D.
const MESSAGE = fromHex(
  '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
);

const VECTORS: Array<{ name: string; key: string; tags: [number, string][] }> = [
  {
    name: 'AES-128 (RFC 4493 §4)',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    tags: [[0, 'bb1d6929e95937287fa37d129b756746'], [16, '070a16b46b4d4144f79bdd9dd04a287c'], [40, 'dfa66747de9ae63030ca32611497c827'], [64, '51f0bebf7e3b9d92fc49741779363cfe']],
  },
  {
    name: 'AES-192 (SP 800-38B D.2)',
    key: '8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b',
    tags: [[0, 'd17ddf46adaacde531cac483de7a9367'], [16, '9e99a7bf31e710900662f65e617c5184'], [40, '8a1de5be2eb31aad089a82e6ee908b0e'], [64, 'a1d5df0eed790f794d77589659f39a11']],
  },
  {
    name: 'AES-256 (SP 800-38B D.3)',
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    tags: [[0, '028962f61b7bf89efc6b551f4667d983'], [16, '28a7023f452e8f82bd4bf28d8c37c35c'], [40, 'aaf3d8f1de5640c232f5b169b9c911e6'], [64, 'e1992190549f6ed5696a2c056c315410']],
  },
];

describe('aesCmac', () => {
  for (const { name, key, tags } of VECTORS) {
    for (const [length, tag] of tags) {
      it(`${name}: tag of the ${length}-byte message prefix`, () => {
        expect(toHex(aesCmac(fromHex(key), MESSAGE.subarray(0, length)))).toBe(tag.toUpperCase());
      });
    }
  }

  it('gives the same tag for a message that is a view into a larger buffer', () => {
    const backing = new Uint8Array(80);
    backing.set(MESSAGE, 7);
    expect(toHex(aesCmac(fromHex(VECTORS[0]!.key), backing.subarray(7, 47)))).toBe('DFA66747DE9AE63030CA32611497C827');
  });
});
