import { describe, it, expect } from 'vitest';
import { fromHex, toHex, readUint } from '../protocol/bytes.ts';
import { Scp03HostSession } from '../protocol/gp/scp03/index.ts';
import { buildGetData } from '../protocol/gp/commands/index.ts';
import { seededRandom } from '../protocol/crypto/random-source.ts';
import { createCard, CardError, PersistentStore, STORE_KEY, type Card } from './index.ts';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');

function ff21(card: Card): string {
  return toHex(card.transmit(buildGetData(0xff21)));
}

/** Physical writes of one run of `action` on a fresh card, without any tear. */
function countWrites(action: (card: Card) => void): number {
  const card = createCard({ seed: 9 });
  card.powerOn();
  let count = 0;
  card.onPersistentWrite((w) => {
    count = Math.max(count, w.index);
  });
  action(card);
  return count;
}

describe('card: power loss during persistent writes (tearing)', () => {
  const initializeUpdate = (card: Card) => card.transmit(new Scp03HostSession({ keys: { enc: KEY, mac: KEY, dek: KEY }, random: seededRandom(5) }).initializeUpdateCommand());

  it("INITIALIZE UPDATE's sequence-counter update is one transaction of several physical writes", () => {
    expect(countWrites(initializeUpdate)).toBeGreaterThanOrEqual(2);
  });

  const n = countWrites(initializeUpdate);
  for (let index = 1; index <= n; index++) {
    it(`a power loss at write ${index} of ${n} of the sequence-counter update leaves the pre-command image byte for byte`, () => {
      const card = createCard({ seed: 9 });
      card.powerOn();
      const before = card.store.committedImage();
      const freeBefore = ff21(card);
      card.onPersistentWrite((w) => (w.index === index ? 'tear' : undefined));
      expect(() => initializeUpdate(card)).toThrow(CardError);
      expect(card.powered).toBe(false);
      card.onPersistentWrite(undefined);
      card.powerOn();
      expect(card.lastRecovery?.rolledBack).toBe(true);
      expect(toHex(card.store.committedImage())).toBe(toHex(before));
      expect(ff21(card)).toBe(freeBefore);
      expect(readUint(card.store.get(STORE_KEY.sequenceCounter(0x30))!)).toBe(0);
    });
  }

  it('without a tear the sequence counter advances (the transaction commits)', () => {
    const card = createCard({ seed: 9 });
    card.powerOn();
    initializeUpdate(card);
    expect(readUint(card.store.get(STORE_KEY.sequenceCounter(0x30))!)).toBe(1);
  });

  // A multi-object transaction: update one object, create one, remove one.
  const multi = (card: Card) =>
    card.store.transaction(() => {
      card.store.write(STORE_KEY.IIN, fromHex('999999'));
      card.store.write('test/new-object', new Uint8Array(100).fill(0xab));
      card.store.remove(STORE_KEY.CIN);
    });
  const m = countWrites(multi);

  it('the multi-object transaction makes at least one physical write per object plus the commit', () => {
    expect(m).toBeGreaterThanOrEqual(4);
  });

  for (let index = 1; index <= m; index++) {
    it(`a power loss at write ${index} of ${m} of a multi-object transaction rolls back at the next power-up, even through a saved image`, () => {
      const card = createCard({ seed: 9 });
      card.powerOn();
      const before = toHex(card.store.committedImage());
      const freeBefore = ff21(card);
      card.onPersistentWrite((w) => (w.index === index ? 'tear' : undefined));
      expect(() => multi(card)).toThrow();
      card.onPersistentWrite(undefined);
      // The process dies right after the tear: only the physical image survives.
      const reborn = createCard({ seed: 9, store: PersistentStore.fromImage(card.store.image()) });
      reborn.powerOn();
      expect(toHex(reborn.store.committedImage())).toBe(before);
      expect(ff21(reborn)).toBe(freeBefore);
    });
  }
});
