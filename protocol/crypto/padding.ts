/**
 * ISO/IEC 9797-1 padding method 2 (GP AMD-D 4.1.4, GPCS B.4): append '80', then '00' up to a
 * multiple of the block size. Padding is always added, so a full block of data gains a full block.
 */
export function padIso9797M2(data: Uint8Array, blockSize = 16): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Removes ISO/IEC 9797-1 method 2 padding: the last non-zero byte must be '80'. Returns null when it
 * is not (a decryption under the wrong key, or a tampered ciphertext), so callers choose their error.
 */
export function unpadIso9797M2(data: Uint8Array): Uint8Array | null {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80) return null;
  return data.subarray(0, i);
}
