import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

/**
 * Secrets at rest (card keys, shared secrets, card private keys in images): AES-256-GCM under a data
 * key from a keyring. The 12-byte IV is synthetic — HMAC-SHA256(IV key, key id ‖ AAD ‖ plaintext) —
 * so sealing needs no random source (seeded runs stay byte-reproducible) and two different
 * plaintexts never share an IV under one key (the SIV construction, RFC 5297 §1.3.2, with GCM as the
 * cipher); the price is that equal plaintexts seal to equal bytes.
 *
 * Sealed form: `"CLS1"` ‖ L ‖ key id (ASCII) ‖ IV (12) ‖ tag (16) ‖ ciphertext. The key id says which
 * key of the keyring opens it, so keys rotate: a new current key seals, older ones still open.
 */

const MAGIC = Uint8Array.of(0x43, 0x4c, 0x53, 0x31);

export type SecretBoxErrorCode = 'BAD_KEY' | 'NOT_SEALED' | 'UNKNOWN_KEY' | 'TAMPERED';

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface DataKey {
  /** 1–32 characters `[A-Za-z0-9._-]`. */
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

/** Seals and opens secrets with a keyring: the first key seals, every key opens what it sealed. */
export class SecretBox {
  readonly #keys = new Map<string, { enc: Uint8Array; iv: Uint8Array }>();
  readonly currentKeyId: string;

  constructor(keys: readonly DataKey[]) {
    if (keys.length === 0) throw new SecretBoxError('BAD_KEY', 'a keyring needs at least one data key');
    for (const k of keys) {
      if (!KEY_ID.test(k.id)) throw new SecretBoxError('BAD_KEY', `data key id ${JSON.stringify(k.id)} is not 1–32 characters [A-Za-z0-9._-]`);
      if (k.key.length !== 32) throw new SecretBoxError('BAD_KEY', `data key ${k.id} is ${k.key.length} bytes, not 32`);
      if (this.#keys.has(k.id)) throw new SecretBoxError('BAD_KEY', `data key id ${k.id} appears twice`);
      const iv = new Uint8Array(createHmac('sha256', k.key).update('cardlab secret-box iv key').digest());
      this.#keys.set(k.id, { enc: k.key, iv });
    }
    this.currentKeyId = keys[0]!.id;
  }

  /** Seals `plaintext` under the current key; `aad` (e.g. the row and column) binds it to its place. */
  seal(plaintext: Uint8Array, aad: string = ''): Uint8Array {
    const id = this.currentKeyId;
    const k = this.#keys.get(id)!;
    const idBytes = Buffer.from(id, 'ascii');
    const iv = createHmac('sha256', k.iv).update(idBytes).update(Buffer.from([0])).update(aad).update(Buffer.from([0])).update(plaintext).digest().subarray(0, 12);
    const cipher = createCipheriv('aes-256-gcm', k.enc, iv);
    cipher.setAAD(Buffer.concat([idBytes, Buffer.from([0]), Buffer.from(aad, 'utf8')]));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([MAGIC, Buffer.from([idBytes.length]), idBytes, iv, cipher.getAuthTag(), ct]));
  }

  /** Opens what `seal` made with the same `aad`; a wrong key, place or any changed byte is TAMPERED. */
  open(sealed: Uint8Array, aad: string = ''): Uint8Array {
    const { id, iv, tag, ct } = parse(sealed);
    const k = this.#keys.get(id);
    if (!k) throw new SecretBoxError('UNKNOWN_KEY', `sealed with data key ${id}, which is not in the keyring`);
    const decipher = createDecipheriv('aes-256-gcm', k.enc, iv);
    decipher.setAAD(Buffer.concat([Buffer.from(id, 'ascii'), Buffer.from([0]), Buffer.from(aad, 'utf8')]));
    decipher.setAuthTag(tag);
    try {
      return new Uint8Array(Buffer.concat([decipher.update(ct), decipher.final()]));
    } catch {
      throw new SecretBoxError('TAMPERED', 'the sealed secret does not authenticate (wrong key, wrong place or altered bytes)');
    }
  }

  /** The id of the key that sealed `sealed` (to find what a rotation must re-seal). */
  static keyIdOf(sealed: Uint8Array): string {
    return parse(sealed).id;
  }

  static isSealed(bytes: Uint8Array): boolean {
    return bytes.length > 5 && MAGIC.every((b, i) => bytes[i] === b);
  }
}

function parse(sealed: Uint8Array): { id: string; iv: Uint8Array; tag: Uint8Array; ct: Uint8Array } {
  if (!SecretBox.isSealed(sealed)) throw new SecretBoxError('NOT_SEALED', 'not a sealed secret (no CLS1 header)');
  const idLen = sealed[4]!;
  const start = 5 + idLen;
  if (sealed.length < start + 28) throw new SecretBoxError('NOT_SEALED', 'sealed secret is truncated');
  return {
    id: Buffer.from(sealed.subarray(5, start)).toString('ascii'),
    iv: sealed.subarray(start, start + 12),
    tag: sealed.subarray(start + 12, start + 28),
    ct: sealed.subarray(start + 28),
  };
}
