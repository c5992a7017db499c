import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { CryptoError } from './crypto-error.ts';

/**
 * AES (FIPS 197) in the two modes GlobalPlatform uses: ECB for single blocks (SCP03 ICVs, CMAC) and
 * CBC without padding (AMD-D 4.1.2; callers pad with ISO 9797-1 M2 themselves).
 *
 * SCP03 runs several AES operations per APDU under the same few session keys, so one ECB
 * cipher/decipher pair per key is kept and reused: with auto-padding off, `update()` on whole
 * blocks is stateless in ECB. Short CBC inputs are chained here over that cached cipher; from
 * CBC_FRESH_BLOCKS blocks on, one fresh OpenSSL CBC context (≈1.7 µs) beats a JS loop of updates.
 */
interface AesContext {
  encryptor: Cipher;
  decryptor: Decipher;
}

const MAX_CACHED_KEYS = 256;
const CBC_FRESH_BLOCKS = 4;
const contexts = new Map<string, AesContext>();

function contextFor(key: Uint8Array): AesContext {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CryptoError('BAD_KEY', `AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
  const id = Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
  let ctx = contexts.get(id);
  if (ctx === undefined) {
    const algorithm = `aes-${key.length * 8}-ecb`;
    ctx = { encryptor: createCipheriv(algorithm, key, null), decryptor: createDecipheriv(algorithm, key, null) };
    ctx.encryptor.setAutoPadding(false);
    ctx.decryptor.setAutoPadding(false);
    // Bounded: session keys change every INITIALIZE UPDATE; evict the oldest entry (Map order).
    if (contexts.size >= MAX_CACHED_KEYS) contexts.delete(contexts.keys().next().value!);
    contexts.set(id, ctx);
  }
  return ctx;
}

function asBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

function checkBlocks(what: string, data: Uint8Array): void {
  if (data.length % 16 !== 0) throw new CryptoError('BAD_LENGTH', `${what} of ${data.length} bytes is not a multiple of 16`);
}

/** Encrypts one 16-byte block with AES-ECB (FIPS 197). */
export function aesEcbEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  if (block.length !== 16) throw new CryptoError('BAD_LENGTH', `AES block must be 16 bytes, got ${block.length}`);
  return asBytes(contextFor(key).encryptor.update(block));
}

/** AES-CBC encryption without padding (NIST SP 800-38A §6.2); `data` must be whole blocks. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks('CBC plaintext', data);
  if (iv.length !== 16) throw new CryptoError('BAD_LENGTH', `CBC IV must be 16 bytes, got ${iv.length}`);
  const { encryptor } = contextFor(key);
  if (data.length >= CBC_FRESH_BLOCKS * 16) {
    return asBytes(createCipheriv(`aes-${key.length * 8}-cbc`, key, iv).setAutoPadding(false).update(data));
  }
  const out = new Uint8Array(data.length);
  const block = new Uint8Array(16);
  let previous = iv;
  for (let off = 0; off < data.length; off += 16) {
    for (let j = 0; j < 16; j++) block[j] = data[off + j]! ^ previous[j]!;
    out.set(encryptor.update(block), off);
    previous = out.subarray(off, off + 16);
  }
  return out;
}

/** AES-CBC decryption without padding removal (NIST SP 800-38A §6.2); `data` must be whole blocks. */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks('CBC ciphertext', data);
  if (iv.length !== 16) throw new CryptoError('BAD_LENGTH', `CBC IV must be 16 bytes, got ${iv.length}`);
  const { decryptor } = contextFor(key);
  // ECB-decrypt every block in one call, then XOR each with the previous ciphertext block.
  const out = asBytes(decryptor.update(data));
  for (let off = out.length - 16; off >= 0; off -= 16) {
    const previous = off === 0 ? iv : data.subarray(off - 16, off);
    for (let j = 0; j < 16; j++) out[off + j] = out[off + j]! ^ previous[j]!;
  }
  return out;
}
