import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, fromHex } from '../../protocol/bytes.ts';
import { PersistentStore, PowerLossError, StorageError, type PhysicalWrite } from './persistent-store.ts';
import { parseStoreImage } from './store-image.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** A store holding three committed objects. */
function seeded(): PersistentStore {
  const store = new PersistentStore({ capacity: 500 });
  store.write('app/counter', bytes(8, 0x11));
  store.write('app/keep', bytes(4, 0x22));
  store.write('app/obsolete', bytes(12, 0x33));
  return store;
}

/** Update, create and remove in one transaction. */
function threeWrites(store: PersistentStore): void {
  store.transaction(() => {
    store.write('app/counter', bytes(20, 0x44));
    store.write('app/new', bytes(6, 0x55));
    store.remove('app/obsolete');
  });
}

function tearAt(n: number) {
  return (w: PhysicalWrite) => (w.index === n ? ('tear' as const) : undefined);
}

function countWrites(run: (store: PersistentStore) => void): number {
  const store = seeded();
  let last = 0;
  store.onWrite((w) => void (last = w.index));
  run(store);
  return last;
}

describe('tearing a multi-object transaction', () => {
  const writes = countWrites(threeWrites);
  const indexes = Array.from({ length: writes }, (_, i) => i + 1);

  it('takes journal, data and commit writes (3 journaled keys → 7 writes)', () => {
    expect(writes).toBe(7);
  });

  it.each(indexes)('recovers the pre-transaction state byte for byte when torn at write %i', (n) => {
    const store = seeded();
    const before = store.committedImage();
    const free = store.freeBytes();
    store.onWrite(tearAt(n));
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    expect(store.powered).toBe(false);
    const report = store.powerUp();
    expect(report.rolledBack).toBe(true);
    expect(store.committedImage()).toEqual(before);
    expect(store.image()).toEqual(before);
    expect(store.freeBytes()).toBe(free);
  });

  it.each(indexes)('recovers identically from the image saved right after a tear at write %i', (n) => {
    const store = seeded();
    const before = store.committedImage();
    const free = store.freeBytes();
    store.onWrite(tearAt(n));
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    const reloaded = PersistentStore.fromImage(store.image());
    expect(reloaded.powered).toBe(false);
    expect(reloaded.powerUp()).toEqual(store.powerUp());
    expect(reloaded.committedImage()).toEqual(before);
    expect(reloaded.freeBytes()).toBe(free);
  });

  it('leaves torn bytes in the physical image when a data write tears', () => {
    const store = seeded();
    store.onWrite(tearAt(2)); // data write of app/counter: 20 bytes of 0x44 over 8 of 0x11
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    const torn = new Uint8Array(20).fill(0xff);
    torn.fill(0x11, 0, 8).fill(0x44, 0, 10);
    expect(parseStoreImage(store.image()).objects.get('app/counter')).toEqual(torn);
  });

  it('discards a torn journal record at power-up', () => {
    const store = seeded();
    store.onWrite(tearAt(3)); // journal write for app/new
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    expect(store.powerUp()).toEqual({ rolledBack: true, discardedTornRecord: true, restoredKeys: ['app/counter'] });
  });

  it('rolls back when the commit write itself is torn', () => {
    const store = seeded();
    const before = store.committedImage();
    store.onWrite((w) => (w.kind === 'commit' ? 'tear' : undefined));
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    expect(store.powerUp().discardedTornRecord).toBe(false);
    expect(store.image()).toEqual(before);
  });

  it('keeps the post-transaction state when no write tears', () => {
    const store = seeded();
    store.onWrite(() => undefined);
    threeWrites(store);
    expect(store.powerUp().rolledBack).toBe(false);
    expect(store.keys()).toEqual(['app/counter', 'app/keep', 'app/new']);
    expect(store.get('app/counter')).toEqual(bytes(20, 0x44));
  });

  it('lets transaction() rethrow PowerLossError without aborting', () => {
    const store = seeded();
    store.onWrite(tearAt(2));
    const writesBefore = store.physicalWriteCount;
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    expect(store.physicalWriteCount).toBe(writesBefore + 2);
  });

  it.each([1, 2, 3])('keeps the old value when an implicit single write tears at write %i', (n) => {
    const store = seeded();
    store.onWrite(tearAt(n));
    expect(() => store.write('app/counter', fromHex('0102030405'))).toThrow(PowerLossError);
    store.onWrite(undefined);
    store.powerUp();
    expect(store.get('app/counter')).toEqual(bytes(8, 0x11));
  });

  it('recovers after power is lost again during recovery', () => {
    const store = seeded();
    const before = store.committedImage();
    store.onWrite(tearAt(7));
    expect(() => threeWrites(store)).toThrow(PowerLossError);
    // Recovery restores 3 objects then voids the journal: tear each of those 4 writes in turn.
    for (const n of [1, 2, 3, 4]) {
      expect(() => store.powerUp({ tearAt: n })).toThrow(PowerLossError);
      expect(store.committedImage()).toEqual(before);
    }
    expect(store.powerUp().rolledBack).toBe(true);
    expect(store.image()).toEqual(before);
  });

  it('recovers when abort itself loses power', () => {
    const store = seeded();
    const before = store.committedImage();
    store.begin();
    store.write('app/counter', bytes(3, 9));
    store.onWrite((w) => (w.kind === 'commit' ? 'tear' : undefined));
    expect(() => store.abort()).toThrow(PowerLossError);
    store.powerUp();
    expect(store.image()).toEqual(before);
  });
});

describe('tearing property', () => {
  type Op = { kind: 'write'; key: string; length: number; fill: number } | { kind: 'remove'; key: string };
  const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), key, length: fc.integer({ min: 0, max: 40 }), fill: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('remove' as const), key }),
  );
  const transaction = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 6 }), tear: fc.option(fc.integer({ min: 1, max: 14 }), { nil: undefined }), reload: fc.boolean() });

  it('always recovers to the pre-state (tear at or before commit) or the post-state', () => {
    fc.assert(
      fc.property(fc.array(transaction, { minLength: 1, maxLength: 8 }), (transactions) => {
        let store = new PersistentStore({ capacity: 200 });
        for (const t of transactions) {
          const pre = store.committedImage();
          const preFree = store.freeBytes();
          let commitIndex: number | undefined;
          store.onWrite((w) => {
            if (w.kind === 'commit') commitIndex = w.index;
            return w.index === t.tear ? 'tear' : undefined;
          });
          let torn = false;
          try {
            store.transaction(() => {
              for (const o of t.ops) {
                try {
                  if (o.kind === 'write') store.write(o.key, new Uint8Array(o.length).fill(o.fill));
                  else store.remove(o.key);
                } catch (e) {
                  if (!(e instanceof StorageError && e.code === 'NO_SPACE')) throw e;
                }
              }
            });
          } catch (e) {
            if (!(e instanceof PowerLossError)) throw e;
            torn = true;
          }
          const post = torn ? undefined : store.committedImage();
          if (t.reload) store = PersistentStore.fromImage(store.image());
          store.onWrite(undefined);
          store.powerUp();
          const now = store.committedImage();
          expect(equalBytes(store.image(), now)).toBe(true);
          if (torn) {
            expect(commitIndex === undefined || t.tear! <= commitIndex).toBe(true);
            expect(now).toEqual(pre);
            expect(store.freeBytes()).toBe(preFree);
          } else {
            expect(now).toEqual(post);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
