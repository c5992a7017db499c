import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { CryptoError } from './crypto-error.ts';

/**
 * AES (FIPS 197) in the two modes GlobalPlatform uses: ECB for single blocks (SCP03 ICVs, CMAC) and
 * CBC without padding (AMD-D 4.1.2; callers pad with ISO 9797-1 M2 themselves).
 *
 * SCP03 runs several AES operations per APDU under the same few session keys, so one ECB
 * cipher/decipher pair per key is kept and reused: with auto-padding off, `update()` on whole
 * blocks is stateless in ECB. CBC encryption uses one CBC cipher per key kept open (see `cbc` below):
 * one OpenSSL call per message, whatever its length, and no context created per message.
 */
/**
 * The OpenSSL ciphers of one key, each made the first time it is needed (a session key may only ever be
 * used for CMAC, or only to decrypt).
 */
class AesContext {
  #encryptor: Cipher | undefined;
  #decryptor: Decipher | undefined;
  #cbc: Cipher | undefined;
  /** The last ciphertext block of the kept CBC encryptor: its chaining state (see `cbc`). */
  last = new Uint8Array(16);
  /** CBC messages encrypted under this key so far: the kept CBC encryptor pays off from the second one. */
  cbcUses = 0;
  constructor(private readonly key: Uint8Array) {}
  get encryptor(): Cipher {
    return (this.#encryptor ??= createCipheriv(`aes-${this.key.length * 8}-ecb`, this.key, null).setAutoPadding(false));
  }
  get decryptor(): Decipher {
    return (this.#decryptor ??= createDecipheriv(`aes-${this.key.length * 8}-ecb`, this.key, null).setAutoPadding(false));
  }
  /**
   * A CBC encryptor kept open for the key. CBC with IV `iv` is then one update call: the first block is fed as
   * P1 ⊕ iv ⊕ last, which the context's own chaining turns into E(P1 ⊕ iv) (NIST SP 800-38A §6.2), so no
   * cipher is created per message.
   */
  get cbc(): Cipher {
    return (this.#cbc ??= createCipheriv(`aes-${this.key.length * 8}-cbc`, this.key, new Uint8Array(16)).setAutoPadding(false));
  }
}

const MAX_CACHED_KEYS = 256;
const contexts = new Map<string, AesContext>();

function contextFor(key: Uint8Array): AesContext {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CryptoError('BAD_KEY', `AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
  // The same key array again (SCP03 uses one session key for a whole session): no key id to build.
  const seen = byArray.get(key);
  if (seen && sameBytes(seen.copy, key)) return seen.ctx;
  const id = Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
  let ctx = contexts.get(id);
  if (ctx === undefined) {
    ctx = new AesContext(key.slice());
    // Bounded: session keys change every INITIALIZE UPDATE; evict the oldest entry (Map order).
    if (contexts.size >= MAX_CACHED_KEYS) contexts.delete(contexts.keys().next().value!);
    contexts.set(id, ctx);
  }
  byArray.set(key, { copy: key.slice(), ctx });
  return ctx;
}

/** Contexts by key array, with a copy of the key to notice an array changed in place. */
const byArray = new WeakMap<Uint8Array, { copy: Uint8Array; ctx: AesContext }>();

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  if (data.length === 0) return new Uint8Array(0);
  const ctx = contextFor(key);
  if (ctx.cbcUses++ === 0 && data.length <= 48) {
    // A key used once (a session key's card cryptogram, a KDF block): chain over the ECB cipher, no CBC cipher made.
    const out = new Uint8Array(data.length);
    const block = new Uint8Array(16);
    let previous = iv;
    for (let off = 0; off < data.length; off += 16) {
      for (let j = 0; j < 16; j++) block[j] = data[off + j]! ^ previous[j]!;
      out.set(ctx.encryptor.update(block), off);
      previous = out.subarray(off, off + 16);
    }
    return out;
  }
  const input = data.slice();
  for (let j = 0; j < 16; j++) input[j] = input[j]! ^ iv[j]! ^ ctx.last[j]!;
  const out = asBytes(ctx.cbc.update(input));
  ctx.last = out.slice(out.length - 16);
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
