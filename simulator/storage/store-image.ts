/**
 * The binary image of a store's physical memory: what a memory dump of the card would show,
 * torn bytes and transaction journal included, so that a store rebuilt from it recovers exactly
 * as the original would at its next power-up.
 *
 * ```
 * StoreImage ::= magic 'CLPS'(4) version(1)=01 capacity(4)
 *                objectCount(4) { keyLength(1) key valueLength(4) value }*   -- keys strictly ascending
 *                journalCount(4) { recordLength(4) record }*                 -- oldest first, see journal-record.ts
 *                crc32(4, over everything before it)
 * ```
 * The parser is strict: wrong magic, version or checksum, unsorted or invalid keys, oversized
 * values, objects exceeding the capacity, an undecodable journal record anywhere but last (only
 * the last journal write can have been torn), a key journaled twice, or trailing bytes → BAD_IMAGE.
 */
import { concat, u32 } from '../../protocol/bytes.ts';
import { ByteCursor, ShortReadError } from './byte-cursor.ts';
import { crc32 } from './crc32.ts';
import { parseJournalRecord } from './journal-record.ts';
import { keyBytes, keyFromBytes, MAX_VALUE_LENGTH, objectSize } from './store-limits.ts';
import { StorageError } from './storage-error.ts';

const MAGIC = new Uint8Array([0x43, 0x4c, 0x50, 0x53]); // 'CLPS': cardlab persistent store
const VERSION = 1;
export const MAX_CAPACITY = 0xffffffff;

export interface PhysicalState {
  capacity: number;
  /** Data area: key → stored bytes (possibly torn). */
  objects: Map<string, Uint8Array>;
  /** Transaction buffer: raw undo records, oldest first; the last may be torn. */
  journal: Uint8Array[];
}

/** Serializes physical state canonically: the same state always gives the same bytes. */
export function buildStoreImage(state: PhysicalState): Uint8Array {
  const parts: Uint8Array[] = [MAGIC, new Uint8Array([VERSION]), u32(state.capacity), u32(state.objects.size)];
  for (const key of [...state.objects.keys()].sort()) {
    const value = state.objects.get(key)!;
    const k = keyBytes(key);
    parts.push(new Uint8Array([k.length]), k, u32(value.length), value);
  }
  parts.push(u32(state.journal.length));
  for (const record of state.journal) parts.push(u32(record.length), record);
  const body = concat(...parts);
  return concat(body, u32(crc32(body)));
}

/** Parses a store image; any deviation from the format throws StorageError('BAD_IMAGE'). */
export function parseStoreImage(bytes: Uint8Array): PhysicalState {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof ShortReadError) throw bad(`truncated (${e.message})`);
    throw e;
  }
}

function parse(bytes: Uint8Array): PhysicalState {
  if (bytes.length < 4) throw bad('shorter than its checksum');
  const body = bytes.subarray(0, bytes.length - 4);
  const stored = new ByteCursor(bytes.subarray(bytes.length - 4)).u32();
  const cursor = new ByteCursor(body);
  const magic = cursor.take(4);
  if (!magic.every((b, i) => b === MAGIC[i])) throw bad("magic is not 'CLPS'");
  if (crc32(body) !== stored) throw bad('checksum mismatch');
  const version = cursor.u8();
  if (version !== VERSION) throw bad(`unsupported version ${version}`);
  const capacity = cursor.u32();
  const objects = new Map<string, Uint8Array>();
  let used = 0;
  let previous = '';
  for (let n = cursor.u32(); n > 0; n--) {
    const key = keyFromBytes(cursor.take(cursor.u8()));
    if (key === undefined) throw bad(`invalid key at offset ${cursor.offset}`);
    if (objects.size > 0 && key <= previous) throw bad(`keys not strictly ascending at '${key}'`);
    const length = cursor.u32();
    if (length > MAX_VALUE_LENGTH) throw bad(`value of '${key}' is ${length} bytes`);
    objects.set(key, cursor.take(length).slice());
    used += objectSize(length);
    previous = key;
  }
  if (used > capacity) throw bad(`objects use ${used} bytes, capacity is ${capacity}`);
  const journal: Uint8Array[] = [];
  const journaled = new Set<string>();
  const count = cursor.u32();
  for (let i = 0; i < count; i++) {
    const record = cursor.take(cursor.u32()).slice();
    const decoded = parseJournalRecord(record);
    if (decoded === undefined && i < count - 1) throw bad(`journal record ${i + 1} of ${count} is torn but not last`);
    if (decoded !== undefined && journaled.has(decoded.key)) throw bad(`key '${decoded.key}' journaled twice`);
    if (decoded !== undefined) journaled.add(decoded.key);
    journal.push(record);
  }
  if (cursor.remaining !== 0) throw bad(`${cursor.remaining} trailing bytes`);
  return { capacity, objects, journal };
}

function bad(reason: string): StorageError {
  return new StorageError('BAD_IMAGE', `store image ${reason}`);
}
