/**
 * One undo record of the transaction journal: the value a key held before the open transaction
 * first touched it. Recovery writes these values back, newest first.
 *
 * ```
 * JournalRecord ::= keyLength(1) key(keyLength) state(1: 00 absent, 01 present)
 *                   valueLength(4) value(valueLength) crc32(4, over everything before it)
 * ```
 * A torn journal write leaves a prefix of the record; the length fields and the CRC make such a
 * prefix fail to decode, and recovery discards it (the data write it protected never started).
 */
import { concat, u32 } from '../../protocol/bytes.ts';
import { ByteCursor, ShortReadError } from './byte-cursor.ts';
import { crc32 } from './crc32.ts';
import { keyBytes, keyFromBytes, MAX_VALUE_LENGTH } from './store-limits.ts';

export interface JournalRecord {
  key: string;
  /** The value before the transaction; undefined when the key was absent. */
  before: Uint8Array | undefined;
}

/** Encodes an undo record (key assumed valid). */
export function buildJournalRecord(record: JournalRecord): Uint8Array {
  const key = keyBytes(record.key);
  const value = record.before ?? new Uint8Array(0);
  const body = concat(new Uint8Array([key.length]), key, new Uint8Array([record.before ? 1 : 0]), u32(value.length), value);
  return concat(body, u32(crc32(body)));
}

/** Decodes an undo record; undefined when the bytes are torn, truncated, padded or fail the CRC. */
export function parseJournalRecord(bytes: Uint8Array): JournalRecord | undefined {
  const cursor = new ByteCursor(bytes);
  try {
    const key = keyFromBytes(cursor.take(cursor.u8()));
    const state = cursor.u8();
    const length = cursor.u32();
    if (key === undefined || state > 1 || length > MAX_VALUE_LENGTH || (state === 0 && length !== 0)) return undefined;
    const value = cursor.take(length);
    const bodyLength = cursor.offset;
    if (cursor.u32() !== crc32(bytes.subarray(0, bodyLength)) || cursor.remaining !== 0) return undefined;
    return { key, before: state === 1 ? value.slice() : undefined };
  } catch (e) {
    if (e instanceof ShortReadError) return undefined;
    throw e;
  }
}
