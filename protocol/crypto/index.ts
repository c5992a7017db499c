export { CryptoError, type CryptoErrorCode } from './crypto-error.ts';
export { aesEcbEncryptBlock, aesCbcEncrypt, aesCbcDecrypt } from './aes.ts';
export { aesCmac } from './aes-cmac.ts';
export { padIso9797M2, unpadIso9797M2 } from './padding.ts';
export { sha1, sha256, sha384, sha512 } from './sha.ts';
export { generateP256KeyPair, signP256, verifyP256, type P256KeyPair } from './ecdsa.ts';
export { derToRaw, rawToDer } from './der-signature.ts';
export { systemRandom, seededRandom, type RandomSource } from './random-source.ts';
export { EC_CURVES, generateEcKeyPair, signEcdsa, verifyEcdsa, isValidEcPublicKey, type EcCurve, type EcKeyPair } from './ecdsa-curves.ts';
