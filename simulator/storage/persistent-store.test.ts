import { describe, expect, it } from 'vitest';
import { fromHex } from '../../protocol/bytes.ts';
import { OBJECT_OVERHEAD, PersistentStore, PowerLossError, StorageError, type PhysicalWrite } from './persistent-store.ts';

const bytes = (n: number, fill = 0xaa) => new Uint8Array(n).fill(fill);

function storageCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof StorageError) return e.code;
    throw e;
  }
  return undefined;
}

describe('PersistentStore: objects and memory accounting', () => {
  it('stores, reads, overwrites and removes objects', () => {
    const store = new PersistentStore({ capacity: 1000 });
    store.write('isd/keys/01', fromHex('404142'));
    expect(store.get('isd/keys/01')).toEqual(fromHex('404142'));
    expect(store.has('isd/keys/01')).toBe(true);
    store.write('isd/keys/01', fromHex('50'));
    expect(store.get('isd/keys/01')).toEqual(fromHex('50'));
    store.remove('isd/keys/01');
    expect(store.get('isd/keys/01')).toBeUndefined();
    expect(store.has('isd/keys/01')).toBe(false);
  });

  it('charges value length + OBJECT_OVERHEAD per object, exact to the byte, keys free', () => {
    const store = new PersistentStore({ capacity: 1000 });
    expect(store.freeBytes()).toBe(1000);
    store.write('a', bytes(10));
    store.write('a-much-longer-key-name', bytes(0));
    expect(store.usedBytes()).toBe(10 + OBJECT_OVERHEAD + 0 + OBJECT_OVERHEAD);
    expect(store.freeBytes()).toBe(1000 - 10 - 2 * OBJECT_OVERHEAD);
    store.write('a', bytes(3));
    expect(store.usedBytes()).toBe(3 + 2 * OBJECT_OVERHEAD);
    store.remove('a');
    expect(store.usedBytes()).toBe(OBJECT_OVERHEAD);
    expect(store.sizeOf('x', 100)).toBe(100 + OBJECT_OVERHEAD);
  });

  it('copies written values, so the caller may reuse its buffer', () => {
    const store = new PersistentStore({ capacity: 100 });
    const buffer = fromHex('0102');
    store.write('k', buffer);
    buffer[0] = 0xff;
    expect(store.get('k')).toEqual(fromHex('0102'));
  });

  it('returns the stored array itself on read (no copy on the APDU hot path)', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('k', fromHex('01'));
    expect(store.get('k')).toBe(store.get('k'));
  });

  it('lists keys sorted, optionally under a prefix', () => {
    const store = new PersistentStore({ capacity: 1000 });
    for (const k of ['app/B', 'isd/x', 'app/A', 'app']) store.write(k, bytes(1));
    expect(store.keys()).toEqual(['app', 'app/A', 'app/B', 'isd/x']);
    expect(store.keys('app/')).toEqual(['app/A', 'app/B']);
  });

  it('fills memory to the exact byte and refuses one byte more with NO_SPACE', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('a', bytes(100 - OBJECT_OVERHEAD));
    expect(store.freeBytes()).toBe(0);
    const before = store.image();
    const writes = store.physicalWriteCount;
    expect(storageCode(() => store.write('b', bytes(0)))).toBe('NO_SPACE');
    expect(storageCode(() => store.write('a', bytes(100 - OBJECT_OVERHEAD + 1)))).toBe('NO_SPACE');
    expect(store.physicalWriteCount).toBe(writes);
    expect(store.image()).toEqual(before);
  });

  it('refuses NO_SPACE before any write inside a transaction, which stays open and consistent', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('a', bytes(20));
    store.begin();
    store.write('b', bytes(30));
    const writes = store.physicalWriteCount;
    expect(storageCode(() => store.write('c', bytes(100)))).toBe('NO_SPACE');
    expect(store.physicalWriteCount).toBe(writes);
    expect(store.inTransaction()).toBe(true);
    expect(store.get('b')).toEqual(bytes(30));
    expect(store.usedBytes()).toBe(50 + 2 * OBJECT_OVERHEAD);
    store.abort();
    expect(store.keys()).toEqual(['a']);
  });

  it('counts the transaction\'s own removals as freed space', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('a', bytes(60));
    store.transaction(() => {
      store.remove('a');
      store.write('b', bytes(80));
    });
    expect(store.keys()).toEqual(['b']);
    expect(store.freeBytes()).toBe(100 - 80 - OBJECT_OVERHEAD);
  });

  it('refuses keys outside 1–64 printable ASCII characters with BAD_KEY', () => {
    const store = new PersistentStore({ capacity: 100 });
    for (const key of ['', 'x'.repeat(65), 'tab\there', 'é', '\u0000']) {
      expect(storageCode(() => store.write(key, bytes(1)))).toBe('BAD_KEY');
    }
    store.write('x'.repeat(64), bytes(1));
    store.write(' ~', bytes(1));
    expect(store.keys()).toHaveLength(2);
  });

  it('refuses a value over 1 MiB with NO_SPACE even in a huge store', () => {
    const store = new PersistentStore({ capacity: 4 << 20 });
    expect(storageCode(() => store.write('big', new Uint8Array((1 << 20) + 1)))).toBe('NO_SPACE');
    store.write('big', new Uint8Array(1 << 20));
  });

  it('treats removing an absent key as doing nothing, without writing', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.remove('absent');
    expect(store.physicalWriteCount).toBe(0);
  });
});

describe('PersistentStore: transactions', () => {
  it('makes an implicit single write atomic: journal, data, commit', () => {
    const store = new PersistentStore({ capacity: 100 });
    const seen: PhysicalWrite[] = [];
    store.onWrite((w) => void seen.push(w));
    store.write('k', bytes(2));
    expect(seen).toEqual([
      { index: 1, kind: 'journal', key: 'k' },
      { index: 2, kind: 'data', key: 'k' },
      { index: 3, kind: 'commit' },
    ]);
    expect(store.inTransaction()).toBe(false);
  });

  it('journals a key once per transaction and commits with one write', () => {
    const store = new PersistentStore({ capacity: 200 });
    store.write('a', bytes(1));
    const kinds: string[] = [];
    store.onWrite((w) => void kinds.push(`${w.index}:${w.kind}:${w.key ?? ''}`));
    store.transaction(() => {
      store.write('a', bytes(2));
      store.write('a', bytes(3));
      store.write('b', bytes(1));
      store.remove('a');
    });
    expect(kinds).toEqual(['1:journal:a', '2:data:a', '3:data:a', '4:journal:b', '5:data:b', '6:data:a', '7:commit:']);
  });

  it('lets reads inside a transaction see its own writes', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.begin();
    store.write('k', fromHex('01'));
    expect(store.get('k')).toEqual(fromHex('01'));
    store.commit();
    expect(store.get('k')).toEqual(fromHex('01'));
  });

  it('restores the pre-transaction state byte for byte on abort', () => {
    const store = new PersistentStore({ capacity: 200 });
    store.write('keep', bytes(5, 1));
    store.write('update', bytes(5, 2));
    store.write('drop', bytes(5, 3));
    const before = store.committedImage();
    const free = store.freeBytes();
    store.begin();
    store.write('update', bytes(9, 4));
    store.write('new', bytes(7, 5));
    store.remove('drop');
    expect(store.committedImage()).toEqual(before);
    store.abort();
    expect(store.image()).toEqual(before);
    expect(store.freeBytes()).toBe(free);
  });

  it('aborts transaction() when its function throws, and rethrows', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('k', fromHex('01'));
    expect(() =>
      store.transaction(() => {
        store.write('k', fromHex('02'));
        throw new Error('applet failed');
      }),
    ).toThrow('applet failed');
    expect(store.get('k')).toEqual(fromHex('01'));
    expect(store.inTransaction()).toBe(false);
  });

  it('returns the function result from transaction() after committing', () => {
    const store = new PersistentStore({ capacity: 100 });
    expect(store.transaction(() => (store.write('k', fromHex('01')), 42))).toBe(42);
    expect(store.get('k')).toEqual(fromHex('01'));
  });

  it('refuses an async function in transaction() and aborts', async () => {
    const store = new PersistentStore({ capacity: 100 });
    expect(() => store.transaction(async () => store.write('k', fromHex('01')))).toThrow(TypeError);
    expect(store.has('k')).toBe(false);
  });

  it('refuses nested transactions and commit/abort without one', () => {
    const store = new PersistentStore({ capacity: 100 });
    expect(storageCode(() => store.commit())).toBe('NO_TRANSACTION');
    expect(storageCode(() => store.abort())).toBe('NO_TRANSACTION');
    store.begin();
    expect(storageCode(() => store.begin())).toBe('NESTED_TRANSACTION');
    expect(storageCode(() => store.transaction(() => 1))).toBe('NESTED_TRANSACTION');
    store.commit();
  });

  it('commits an empty transaction without a physical write', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.transaction(() => store.get('k'));
    expect(store.physicalWriteCount).toBe(0);
  });
});

describe('PersistentStore: power', () => {
  it('refuses every operation with PowerLossError while unpowered, until powerUp', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('k', fromHex('01'));
    store.begin();
    store.write('k', fromHex('02'));
    store.powerOff();
    expect(store.powered).toBe(false);
    expect(store.inTransaction()).toBe(false);
    for (const op of [() => store.get('k'), () => store.has('k'), () => store.keys(), () => store.freeBytes(), () => store.write('k', fromHex('03')), () => store.remove('k'), () => store.begin()]) {
      expect(op).toThrow(PowerLossError);
    }
    expect(store.powerUp()).toEqual({ rolledBack: true, discardedTornRecord: false, restoredKeys: ['k'] });
    expect(store.get('k')).toEqual(fromHex('01'));
  });

  it('reports nothing to recover on a clean power-up', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('k', fromHex('01'));
    const writes = store.physicalWriteCount;
    expect(store.powerUp()).toEqual({ rolledBack: false, discardedTornRecord: false, restoredKeys: [] });
    expect(store.physicalWriteCount).toBe(writes);
  });

  it('rejects an invalid capacity', () => {
    expect(() => new PersistentStore({ capacity: -1 })).toThrow(RangeError);
    expect(() => new PersistentStore({ capacity: 1.5 })).toThrow(RangeError);
  });
});

describe('PersistentStore: the durable-change hook (write-through of a card image)', () => {
  it('tells every commit, with the committed physical image, and nothing for an empty or aborted transaction', () => {
    const store = new PersistentStore({ capacity: 1000 });
    const seen: Array<{ event: string; image: Uint8Array }> = [];
    store.onCommit((event) => seen.push({ event, image: store.image() }));
    store.write('a', fromHex('01')); // implicit transaction
    store.transaction(() => {
      store.write('b', fromHex('02'));
      store.write('a', fromHex('03'));
    });
    store.transaction(() => undefined); // empty: no physical write, nothing to tell
    store.begin();
    store.write('a', fromHex('04'));
    store.abort(); // back to what the last commit left: nothing new to persist
    expect(seen.map((s) => s.event)).toEqual(['commit', 'commit']);
    expect(seen[1]!.image).toEqual(store.image());
    expect(seen[1]!.image).toEqual(store.committedImage());
  });

  it('tells a power loss with the torn image (journal included), and the recovery at the next power-up', () => {
    const store = new PersistentStore({ capacity: 1000 });
    store.write('a', fromHex('0102'));
    const seen: Array<{ event: string; image: Uint8Array }> = [];
    store.onCommit((event) => seen.push({ event, image: store.image() }));
    store.onWrite((w) => (w.kind === 'data' ? 'tear' : undefined));
    expect(() => store.write('a', fromHex('0304'))).toThrow(PowerLossError);
    expect(seen.map((s) => s.event)).toEqual(['power-loss']);
    const torn = PersistentStore.fromImage(seen[0]!.image);
    expect(torn.powered).toBe(false);
    expect(torn.powerUp().restoredKeys).toEqual(['a']);
    expect(torn.get('a')).toEqual(fromHex('0102'));
    store.onWrite(undefined);
    store.powerUp();
    expect(seen.map((s) => s.event)).toEqual(['power-loss', 'recovery']);
    expect(seen[1]!.image).toEqual(store.committedImage());
    store.powerUp(); // nothing journaled: nothing to tell
    store.onCommit(undefined);
    store.write('a', fromHex('05'));
    expect(seen).toHaveLength(2);
  });
});
