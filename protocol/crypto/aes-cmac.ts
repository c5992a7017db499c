import { aesCbcEncrypt, aesEcbEncryptBlock, sameBytes } from './aes.ts';

/** Doubling in GF(2^128) (NIST SP 800-38B §6.1): shift left one bit, XOR Rb = 0x87 on carry. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 15; i++) out[i] = ((block[i]! << 1) | (block[i + 1]! >> 7)) & 0xff;
  out[15] = (block[15]! << 1) & 0xff;
  if (block[0]! & 0x80) out[15] = out[15]! ^ 0x87;
  return out;
}

const ZERO_IV = new Uint8Array(16);

interface Subkeys {
  k1: Uint8Array;
  k2: Uint8Array;
}

// Subkeys depend on the key only; SCP03 MACs every APDU under the same S-MAC/S-RMAC.
const MAX_CACHED_KEYS = 256;
const subkeyCache = new Map<string, Subkeys>();

/** Subkeys by key array, with a copy of the key to notice an array changed in place. */
const subkeysByArray = new WeakMap<Uint8Array, { copy: Uint8Array; subkeys: Subkeys }>();

function subkeys(key: Uint8Array): Subkeys {
  const seen = subkeysByArray.get(key);
  if (seen && sameBytes(seen.copy, key)) return seen.subkeys;
  const id = Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
  let found = subkeyCache.get(id);
  if (found === undefined) {
    const k1 = double(aesEcbEncryptBlock(key, new Uint8Array(16)));
    found = { k1, k2: double(k1) };
    if (subkeyCache.size >= MAX_CACHED_KEYS) subkeyCache.delete(subkeyCache.keys().next().value!);
    subkeyCache.set(id, found);
  }
  subkeysByArray.set(key, { copy: key.slice(), subkeys: found });
  return found;
}

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493): the full 16-byte tag. SCP03 uses it as the PRF of its KDF
 * (AMD-D 4.1.5) and, truncated to 8 bytes by the caller, as C-MAC and R-MAC (AMD-D 6.2.4/6.2.5).
 */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const { k1, k2 } = subkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / 16));
  // M1..Mn with the last block padded (80 00..) unless complete, then XORed with K1 or K2.
  const prepared = new Uint8Array(blocks * 16);
  prepared.set(message);
  const lastComplete = message.length > 0 && message.length % 16 === 0;
  if (!lastComplete) prepared[message.length] = 0x80;
  const subkey = lastComplete ? k1 : k2;
  const offset = (blocks - 1) * 16;
  for (let j = 0; j < 16; j++) prepared[offset + j] = prepared[offset + j]! ^ subkey[j]!;
  // CMAC is CBC-MAC over the prepared blocks: the tag is the last CBC output block.
  const chained = aesCbcEncrypt(key, ZERO_IV, prepared);
  return chained.slice(chained.length - 16);
}
