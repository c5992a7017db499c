/**
 * The card's persistent memory (EEPROM/flash) with a write-ahead undo journal, the way Java Card
 * (JCRE 3.0.5 §7 "Atomicity and Transactions") and GlobalPlatform cards keep updates atomic.
 *
 * - Undo journal. Inside a transaction the first write or removal of a key first appends, in the
 *   transaction buffer, a journal record holding the key's old value (or "absent") — one physical
 *   write of kind 'journal' — then updates the object in place — kind 'data'. Later writes of that
 *   key are 'data' writes only. Commit is ONE atomic 'commit' write that voids the journal (the
 *   card's commit flag). Power lost at any write up to and including the commit → powerUp() writes
 *   the journaled values back: exactly the pre-transaction state. A completed commit → post-state.
 * - Implicit transactions. write()/remove() outside a transaction are atomic on their own: journal,
 *   data, commit (three physical writes).
 * - Tearing. When the onWrite hook answers 'tear', the write happens partially (see
 *   physical-memory.ts), PowerLossError is thrown and the store is unpowered: every operation
 *   but image()/committedImage() throws PowerLossError until powerUp(). image() captures the torn state, so
 *   fromImage(image).powerUp() recovers exactly as powerUp() would.
 * - Memory. usedBytes() = Σ (value length + OBJECT_OVERHEAD) over the current objects, the open
 *   transaction's own writes included; keys are not charged. write() checks the result fits BEFORE
 *   any physical write (NO_SPACE, nothing changed). The journal lives in the transaction buffer, a
 *   separate system area real cards reserve at a fixed size, and is not charged.
 * - Reads. get() is one Map lookup and returns the stored array itself, without copying: callers
 *   must not mutate it. write() copies its argument, so the caller may reuse its buffer.
 */
import { PhysicalMemory, type WriteHook } from './physical-memory.ts';
import { buildStoreImage, MAX_CAPACITY, parseStoreImage, type PhysicalState } from './store-image.ts';
import { isValidKey, MAX_VALUE_LENGTH, objectSize } from './store-limits.ts';
import { PowerLossError, StorageError } from './storage-error.ts';

export type { PhysicalWrite, WriteHook } from './physical-memory.ts';
export { OBJECT_OVERHEAD } from './store-limits.ts';
export { PowerLossError, StorageError, type StorageErrorCode } from './storage-error.ts';

/**
 * A change of the durable state is complete: 'commit' (a transaction's commit write), 'power-loss'
 * (a torn write left the memory torn, journal included), 'recovery' (power-up rolled a journal back).
 */
export type DurableEvent = 'commit' | 'power-loss' | 'recovery';

export interface RecoveryReport {
  /** The journal held an unfinished transaction, now undone (even if only a torn record was found). */
  rolledBack: boolean;
  /** The last journal record was torn and was discarded. */
  discardedTornRecord: boolean;
  /** Keys written back from the journal, in the order they were restored (newest record first). */
  restoredKeys: string[];
}

export class PersistentStore {
  readonly capacity: number;
  #memory: PhysicalMemory;
  // Volatile state (RAM): lost with power.
  #powered = true;
  #inTransaction = false;
  #transactions: ((phase: 'begin' | 'commit' | 'abort' | 'atomic') => void) | undefined;
  /** The transaction open is an implicit one (a single write on its own): told as one 'atomic' phase. */
  #implicit = false;
  #journaled = new Set<string>();
  #hook: WriteHook | undefined;
  #durable: ((event: DurableEvent) => void) | undefined;

  /** A blank store of `capacity` bytes, or one holding `image` (whose capacity must match). */
  constructor(options: { capacity: number; image?: Uint8Array }) {
    if (!Number.isInteger(options.capacity) || options.capacity < 0 || options.capacity > MAX_CAPACITY) {
      throw new RangeError(`capacity must be an integer from 0 to ${MAX_CAPACITY}, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.#memory = this.#mount({ capacity: this.capacity, objects: new Map(), journal: [] });
    if (options.image) this.#memory = this.#mount(parseStoreImage(options.image));
  }

  /**
   * Rebuilds a store from image() bytes. A store whose journal is empty comes up powered; one with
   * an unfinished transaction comes up unpowered, as a card pulled mid-transaction: call powerUp().
   */
  static fromImage(bytes: Uint8Array): PersistentStore {
    const state = parseStoreImage(bytes);
    const store = new PersistentStore({ capacity: state.capacity });
    store.#memory = store.#mount(state);
    return store;
  }

  #mount(state: PhysicalState): PhysicalMemory {
    if (state.capacity !== this.capacity) {
      throw new StorageError('BAD_IMAGE', `image capacity ${state.capacity} differs from the store's ${this.capacity}`);
    }
    this.#powered = state.journal.length === 0;
    return new PhysicalMemory(state, () => {
      this.#dropVolatile();
      this.#durable?.('power-loss');
    });
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** Physical writes since this object was created, recovery included (monotonic). */
  get physicalWriteCount(): number {
    return this.#memory.writes;
  }

  /** Current value (an open transaction sees its own writes). The stored array itself: do not mutate. */
  get(key: string): Uint8Array | undefined {
    if (!this.#powered) throw unpowered();
    return this.#memory.objects.get(key);
  }

  has(key: string): boolean {
    if (!this.#powered) throw unpowered();
    return this.#memory.objects.has(key);
  }

  /** Keys of the current objects starting with `prefix`, sorted. */
  keys(prefix = ''): string[] {
    if (!this.#powered) throw unpowered();
    return [...this.#memory.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Σ (value length + OBJECT_OVERHEAD) over the current objects. */
  usedBytes(): number {
    if (!this.#powered) throw unpowered();
    return this.#memory.used;
  }

  freeBytes(): number {
    return this.capacity - this.usedBytes();
  }

  /** Bytes an object of `valueLength` bytes is charged; the key is checked, not charged. */
  sizeOf(key: string, valueLength: number): number {
    if (!isValidKey(key)) throw badKey(key);
    return objectSize(valueLength);
  }

  inTransaction(): boolean {
    return this.#inTransaction;
  }

  /** Opens a transaction (RAM only: the journal is written lazily, at the first update). */
  begin(): void {
    if (!this.#powered) throw unpowered();
    if (this.#inTransaction) throw new StorageError('NESTED_TRANSACTION', 'a transaction is already open');
    this.#inTransaction = true;
    this.#journaled.clear();
    this.#memory.index = 0;
    if (!this.#implicit) this.#transactions?.('begin');
  }

  /** Makes the transaction's writes permanent with one atomic 'commit' write (none if nothing was written). */
  commit(): void {
    this.#assertTransaction('commit');
    const wrote = this.#memory.journal.length > 0;
    if (wrote) this.#memory.writeCommit(this.#hook);
    const atomic = this.#implicit;
    this.#endTransaction();
    this.#transactions?.(atomic ? 'atomic' : 'commit');
    if (wrote) this.#durable?.('commit');
  }

  /** Undoes the transaction's writes from the journal ('data' writes, then a 'commit' write voiding it). */
  abort(): void {
    this.#assertTransaction('abort');
    this.#memory.rollBack(this.#hook);
    const atomic = this.#implicit;
    this.#endTransaction();
    if (!atomic) this.#transactions?.('abort');
  }

  /** Runs synchronous `fn` in a transaction: commit on return, abort on a thrown error; on power loss touches nothing. */
  transaction<T>(fn: () => T): T {
    this.begin();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      if (!(e instanceof PowerLossError) && this.#inTransaction) this.abort();
      throw e;
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      this.abort();
      throw new TypeError('transaction() needs a synchronous function: a card cannot commit across an await');
    }
    this.commit();
    return result;
  }

  /** Stores a copy of `value` under `key`; refused with NO_SPACE before any write if it would not fit. */
  write(key: string, value: Uint8Array): void {
    if (!this.#powered) throw unpowered();
    if (!isValidKey(key)) throw badKey(key);
    const before = this.#memory.objects.get(key);
    const used = this.#memory.used;
    const after = used - (before ? objectSize(before.length) : 0) + objectSize(value.length);
    if (value.length > MAX_VALUE_LENGTH || after > this.capacity) {
      throw new StorageError('NO_SPACE', `'${key}' needs ${objectSize(value.length)} bytes; ${this.capacity - used} free`);
    }
    this.#update(key, before, value.slice());
  }

  /** Deletes `key` (nothing happens, and nothing is written, when it is absent). */
  remove(key: string): void {
    if (!this.#powered) throw unpowered();
    if (!isValidKey(key)) throw badKey(key);
    const before = this.#memory.objects.get(key);
    if (before) this.#update(key, before, undefined);
  }

  /** Installs (or, with undefined, removes) the fault-injection hook called before every physical write. */
  onWrite(hook: WriteHook | undefined): void {
    this.#hook = hook;
  }

  /**
   * Installs (or removes) the hook told when the durable state changed — after each commit, after a
   * torn write, after a recovery — so a file backing the card can be written through. An abort or
   * an empty transaction leaves the last committed state and is not told.
   */
  onCommit(hook: ((event: DurableEvent) => void) | undefined): void {
    this.#durable = hook;
  }

  /**
   * Installs (or removes) the listener told when a transaction begins, commits or is aborted (the card
   * machine's `store` region); a write outside a transaction, atomic on its own, is told once as 'atomic'
   * when it is done.
   */
  onTransaction(listener: ((phase: 'begin' | 'commit' | 'abort' | 'atomic') => void) | undefined): void {
    this.#transactions = listener;
  }

  /** Cuts power between writes (the card is pulled): RAM state is lost, an open transaction stays journaled. */
  powerOff(): void {
    this.#dropVolatile();
  }

  /**
   * Power-up recovery: writes the journaled old values back (newest first, discarding a torn last
   * record), then voids the journal. Idempotent, so power lost during recovery is recovered at the
   * next power-up; `tearAt` tears recovery write number `tearAt` to test exactly that.
   */
  powerUp(options: { tearAt?: number } = {}): RecoveryReport {
    this.#dropVolatile();
    this.#powered = true;
    const { tearAt } = options;
    const decide: WriteHook | undefined = tearAt === undefined ? undefined : (w) => (w.index === tearAt ? 'tear' : undefined);
    const rolledBack = this.#memory.journal.length > 0;
    const report = { rolledBack, ...this.#memory.rollBack(decide) };
    this.#memory.index = 0;
    if (rolledBack) this.#durable?.('recovery');
    return report;
  }

  /** Canonical serialization of the physical memory: objects (torn bytes included) and journal. */
  image(): Uint8Array {
    return buildStoreImage({ capacity: this.capacity, objects: this.#memory.objects, journal: this.#memory.journal });
  }

  /** Serialization of the committed logical state only — what recovery would leave — for comparisons. */
  committedImage(): Uint8Array {
    return buildStoreImage({ capacity: this.capacity, objects: this.#memory.committedObjects(), journal: [] });
  }

  /** One update in the current transaction, or in an implicit one: journal once per key, then data. */
  #update(key: string, before: Uint8Array | undefined, after: Uint8Array | undefined): void {
    const implicit = !this.#inTransaction;
    if (implicit) {
      this.#implicit = true;
      this.begin();
    }
    if (!this.#journaled.has(key)) {
      this.#memory.writeJournal({ key, before }, this.#hook);
      this.#journaled.add(key);
    }
    this.#memory.writeData(key, after, this.#hook);
    if (implicit) this.commit();
  }

  #assertTransaction(operation: string): void {
    if (!this.#powered) throw unpowered();
    if (!this.#inTransaction) throw new StorageError('NO_TRANSACTION', `${operation} without an open transaction`);
  }

  #endTransaction(): void {
    this.#inTransaction = false;
    this.#implicit = false;
    this.#journaled.clear();
  }

  #dropVolatile(): void {
    this.#powered = false;
    this.#endTransaction();
    this.#memory.index = 0;
  }
}

function unpowered(): PowerLossError {
  return new PowerLossError('the store is unpowered: call powerUp() to run recovery');
}

function badKey(key: string): StorageError {
  return new StorageError('BAD_KEY', `key must be 1–64 printable ASCII characters, got ${JSON.stringify(key.slice(0, 80))}`);
}
