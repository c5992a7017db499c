import { createHash } from 'node:crypto';

function digest(algorithm: string, data: Uint8Array): Uint8Array {
  const out = createHash(algorithm).update(data).digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** SHA-1 (FIPS 180-4): GPCS Load File Data Block hash and SCP02-era tokens. */
export function sha1(data: Uint8Array): Uint8Array {
  return digest('sha1', data);
}

/** SHA-256 (FIPS 180-4): AMD-D 8.1 Load File Data Block hash for AES/ECC DAPs. */
export function sha256(data: Uint8Array): Uint8Array {
  return digest('sha256', data);
}

/** SHA-384 (FIPS 180-4). */
export function sha384(data: Uint8Array): Uint8Array {
  return digest('sha384', data);
}

/** SHA-512 (FIPS 180-4). */
export function sha512(data: Uint8Array): Uint8Array {
  return digest('sha512', data);
}
