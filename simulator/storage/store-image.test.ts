import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { crc32 } from './crc32.ts';
import { buildJournalRecord, parseJournalRecord } from './journal-record.ts';
import { PersistentStore, StorageError } from './persistent-store.ts';
import { buildStoreImage, parseStoreImage } from './store-image.ts';

function badImageOnly(bytes: Uint8Array): void {
  try {
    PersistentStore.fromImage(bytes);
  } catch (e) {
    if (e instanceof StorageError && e.code === 'BAD_IMAGE') return;
    throw e;
  }
}

function sample(): PersistentStore {
  const store = new PersistentStore({ capacity: 256 });
  store.write('b', fromHex('0102'));
  store.write('a', fromHex(''));
  return store;
}

describe('store image', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
  });

  it('serializes canonically: magic, version, capacity, sorted objects, journal, CRC', () => {
    const image = sample().image();
    expect(toHex(image.subarray(0, image.length - 4))).toBe(
      '434C5053' + '01' + '00000100' + '00000002' + '01' + '61' + '00000000' + '01' + '62' + '00000002' + '0102' + '00000000',
    );
    expect(crc32(image.subarray(0, image.length - 4))).toBe(new DataView(image.buffer).getUint32(image.length - 4));
  });

  it('round-trips through fromImage, objects, capacity and free space intact', () => {
    const store = sample();
    const copy = PersistentStore.fromImage(store.image());
    expect(copy.powered).toBe(true);
    expect(copy.capacity).toBe(256);
    expect(copy.keys()).toEqual(['a', 'b']);
    expect(copy.freeBytes()).toBe(store.freeBytes());
    expect(copy.image()).toEqual(store.image());
  });

  it('loads an image through the constructor only with a matching capacity', () => {
    const image = sample().image();
    expect(new PersistentStore({ capacity: 256, image }).get('b')).toEqual(fromHex('0102'));
    expect(() => new PersistentStore({ capacity: 512, image })).toThrow(/BAD_IMAGE/);
  });

  it('comes up unpowered from an image taken mid-transaction, and recovers the committed state', () => {
    const store = sample();
    const committed = store.committedImage();
    store.begin();
    store.write('b', fromHex('FF'));
    const copy = PersistentStore.fromImage(store.image());
    expect(copy.powered).toBe(false);
    copy.powerUp();
    expect(copy.image()).toEqual(committed);
  });

  it('rejects every single-byte corruption and every truncation with BAD_IMAGE', () => {
    const image = sample().image();
    for (let i = 0; i < image.length; i++) {
      const corrupt = image.slice();
      corrupt[i]! ^= 0x01;
      expect(() => PersistentStore.fromImage(corrupt)).toThrow(/BAD_IMAGE/);
      expect(() => PersistentStore.fromImage(image.subarray(0, i))).toThrow(/BAD_IMAGE/);
    }
  });

  it('rejects well-checksummed images that break the structure', () => {
    const objects = new Map([['k', fromHex('01')]]);
    const record = buildJournalRecord({ key: 'k', before: undefined });
    const cases: Array<[string, Uint8Array]> = [
      ['objects use 17 bytes, capacity is 10', buildStoreImage({ capacity: 10, objects, journal: [] })],
      ['journal record 1 of 2 is torn but not last', buildStoreImage({ capacity: 100, objects, journal: [record.subarray(0, 3), record] })],
      ["key 'k' journaled twice", buildStoreImage({ capacity: 100, objects, journal: [record, record] })],
      ['keys not strictly ascending', withCrc(fromHex('434C5053 01 00000100 00000002 0162 00000000 0161 00000000 00000000'))],
      ['invalid key at offset 15', withCrc(fromHex('434C5053 01 00000100 00000001 0109 00000000 00000000'))],
      ['1 trailing bytes', withCrc(fromHex('434C5053 01 00000100 00000000 00000000 00'))],
      ['unsupported version 2', withCrc(fromHex('434C5053 02 00000100 00000000 00000000'))],
    ];
    for (const [reason, bytes] of cases) expect(() => PersistentStore.fromImage(bytes)).toThrow(`BAD_IMAGE: store image ${reason}`);
  });

  it('throws only BAD_IMAGE on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => badImageOnly(bytes)), { numRuns: 2000 });
  });

  it('throws only BAD_IMAGE on random bytes with a valid header and CRC', () => {
    const header = fromHex('434C5053 01');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (tail) => badImageOnly(withCrc(new Uint8Array([...header, ...tail])))),
      { numRuns: 2000 },
    );
  });

  it('round-trips any store built from random writes', () => {
    const entry = fc.tuple(fc.stringMatching(/^[\x20-\x7e]{1,64}$/), fc.uint8Array({ maxLength: 64 }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), (entries) => {
        const store = new PersistentStore({ capacity: 10_000 });
        for (const [key, value] of entries) store.write(key, value);
        const image = store.image();
        expect(parseStoreImage(image).objects.size).toBe(new Set(entries.map(([k]) => k)).size);
        expect(PersistentStore.fromImage(image).image()).toEqual(image);
      }),
    );
  });
});

describe('journal record', () => {
  it('round-trips an old value and an absence', () => {
    expect(parseJournalRecord(buildJournalRecord({ key: 'k', before: fromHex('0A0B') }))).toEqual({ key: 'k', before: fromHex('0A0B') });
    expect(parseJournalRecord(buildJournalRecord({ key: 'k', before: undefined }))).toEqual({ key: 'k', before: undefined });
  });

  it('fails to decode every strict prefix (a torn journal write)', () => {
    const record = buildJournalRecord({ key: 'app/counter', before: fromHex('00112233') });
    for (let n = 0; n < record.length; n++) expect(parseJournalRecord(record.subarray(0, n))).toBeUndefined();
  });

  it('decodes random bytes to nothing rather than throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => void parseJournalRecord(bytes)));
  });
});

function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body));
  return out;
}
