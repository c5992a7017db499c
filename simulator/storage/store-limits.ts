/**
 * What the store holds and what it charges. Keys name objects the way a card's object table does
 * (`isd/keys/01`, `app/A0000001510000/data`); a key is a handle, not charged memory.
 */

/**
 * Bytes charged per stored object besides its value. It models what a card's persistent heap
 * spends on every object: the object header (type, owner context, length, flags — 8 bytes on
 * common Java Card VMs), its entry in the object table, and the average loss to the allocation
 * granularity. A fixed figure keeps `freeBytes()` exact and predictable in tests.
 */
export const OBJECT_OVERHEAD = 16;

/** Memory charged for an object holding `valueLength` bytes: the value plus OBJECT_OVERHEAD. */
export function objectSize(valueLength: number): number {
  return valueLength + OBJECT_OVERHEAD;
}

export const MAX_KEY_LENGTH = 64;
/** Largest value one object may hold (1 MiB); larger than any card's persistent memory. */
export const MAX_VALUE_LENGTH = 1 << 20;

const KEY_PATTERN = /^[\x20-\x7e]{1,64}$/;

/** True for 1–64 printable ASCII characters (0x20–0x7E). */
export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** Key text as the ASCII bytes stored in images and journal records. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** ASCII bytes back to a key; undefined when they are not a valid key. */
export function keyFromBytes(bytes: Uint8Array): string | undefined {
  const key = String.fromCharCode(...bytes);
  return isValidKey(key) ? key : undefined;
}
