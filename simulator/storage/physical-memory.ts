/**
 * The cells that survive power loss — the data area holding objects and the transaction buffer
 * holding undo records — and the only code that writes them. Every write goes through one gate
 * that asks the fault-injection hook first; a write told to 'tear' lands partially:
 *
 * - data: the first half of the new bytes over the old ones (0xFF, the erased state, beyond them);
 *   a torn removal erases the first half of the object;
 * - journal: the first half of the record, which then fails its length/CRC check;
 * - commit: nothing (the journal stays valid, so recovery rolls back).
 */
import { buildJournalRecord, parseJournalRecord, type JournalRecord } from './journal-record.ts';
import type { PhysicalState } from './store-image.ts';
import { objectSize } from './store-limits.ts';
import { PowerLossError } from './storage-error.ts';

/** A physical write about to happen; `index` counts from 1 within the current transaction (or recovery). */
export interface PhysicalWrite {
  index: number;
  kind: 'journal' | 'data' | 'commit';
  key?: string;
}

/** Fault injection: called before every physical write; answer 'tear' to lose power during it. */
export type WriteHook = (write: PhysicalWrite) => 'tear' | void;

export class PhysicalMemory {
  readonly objects: Map<string, Uint8Array>;
  journal: Uint8Array[];
  /** Σ objectSize over the objects, kept in step with every data write. */
  used = 0;
  /** Physical writes ever made through this memory (monotonic). */
  writes = 0;
  /** Index of the last write in the current transaction or recovery; the store resets it. */
  index = 0;

  /** `lostPower` runs when a write tears, before PowerLossError is thrown. */
  constructor(
    state: Pick<PhysicalState, 'objects' | 'journal'>,
    private readonly lostPower: () => void,
  ) {
    this.objects = state.objects;
    this.journal = state.journal;
    for (const value of this.objects.values()) this.used += objectSize(value.length);
  }

  /** Appends the undo record of `key` to the transaction buffer. */
  writeJournal(record: JournalRecord, decide: WriteHook | undefined): void {
    const bytes = buildJournalRecord(record);
    this.#write('journal', record.key, decide, () => this.journal.push(bytes), () => this.journal.push(bytes.slice(0, bytes.length >> 1)));
  }

  /** Stores `value` under `key` in place (undefined removes it). */
  writeData(key: string, value: Uint8Array | undefined, decide: WriteHook | undefined): void {
    const current = this.objects.get(key);
    this.#write('data', key, decide, () => this.#set(key, value), () => this.#set(key, torn(current, value)));
  }

  /** Voids the journal in one atomic write: the transaction's writes become permanent. */
  writeCommit(decide: WriteHook | undefined): void {
    this.#write('commit', undefined, decide, () => (this.journal = []), () => undefined);
  }

  /** The journal's decodable records, oldest first (a torn last record is left out). */
  undoRecords(): JournalRecord[] {
    return this.journal.map(parseJournalRecord).filter((r) => r !== undefined);
  }

  /** Writes the journaled values back, newest first, then voids the journal. Idempotent. */
  rollBack(decide: WriteHook | undefined): { discardedTornRecord: boolean; restoredKeys: string[] } {
    const records = this.undoRecords();
    const discardedTornRecord = records.length < this.journal.length;
    const restoredKeys: string[] = [];
    for (const { key, before } of records.reverse()) {
      this.writeData(key, before, decide);
      restoredKeys.push(key);
    }
    if (this.journal.length > 0) this.writeCommit(decide);
    return { discardedTornRecord, restoredKeys };
  }

  /** The objects as recovery would leave them. */
  committedObjects(): Map<string, Uint8Array> {
    const objects = new Map(this.objects);
    for (const { key, before } of this.undoRecords().reverse()) {
      if (before) objects.set(key, before);
      else objects.delete(key);
    }
    return objects;
  }

  #write(kind: PhysicalWrite['kind'], key: string | undefined, decide: WriteHook | undefined, complete: () => void, tear: () => void): void {
    const index = ++this.index;
    this.writes++;
    if (decide?.(key === undefined ? { index, kind } : { index, kind, key }) === 'tear') {
      tear();
      this.lostPower();
      throw new PowerLossError(`power lost during ${kind} write ${index}${key === undefined ? '' : ` of '${key}'`}`);
    }
    complete();
  }

  #set(key: string, value: Uint8Array | undefined): void {
    const previous = this.objects.get(key);
    if (previous) this.used -= objectSize(previous.length);
    if (value) {
      this.objects.set(key, value);
      this.used += objectSize(value.length);
    } else this.objects.delete(key);
  }
}

/** What a torn write leaves: half of `next` over `current`, or, for a removal, half of `current` erased. */
function torn(current: Uint8Array | undefined, next: Uint8Array | undefined): Uint8Array | undefined {
  if (next === undefined) return current && current.slice().fill(0xff, 0, current.length >> 1);
  const out = new Uint8Array(next.length).fill(0xff);
  if (current) out.set(current.subarray(0, next.length));
  out.set(next.subarray(0, next.length >> 1));
  return out;
}
