import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { buildCredit, buildCreditOnce, buildGetBalance } from '../../protocol/loyalty/index.ts';
import { annotate } from '../../protocol/describe.ts';
import { createCard, loyaltyApplet, LOYALTY_APPLET_AID, PersistentStore, type Card } from '../index.ts';
import { cardWithLoyaltyApplet } from '../../test/support/card-host.ts';

const TX_A = fromHex('0102030405060708');
const TX_B = fromHex('1112131415161718');
const SEED = 11;
const loyaltyCard = () => cardWithLoyaltyApplet(SEED);

const send = (card: Card, c: Uint8Array) => toHex(card.transmit(c));

describe('loyalty applet: CREDIT [once] with a transaction id', () => {
  it('applies a transaction id once: the repeat answers the first result with 9000 and credits nothing', () => {
    const card = loyaltyCard();
    expect(send(card, buildCreditOnce(100, TX_A))).toBe('0000006400019000');
    expect(send(card, buildCreditOnce(100, TX_A))).toBe('0000006400019000');
    expect(send(card, buildGetBalance())).toBe('0000006400019000');
  });

  it('answers a repeat with the result of its first application even after later transactions', () => {
    const card = loyaltyCard();
    expect(send(card, buildCreditOnce(100, TX_A))).toBe('0000006400019000');
    expect(send(card, buildCredit(5))).toBe('0000006900029000');
    expect(send(card, buildCreditOnce(100, TX_A))).toBe('0000006400019000');
    expect(send(card, buildCreditOnce(7, TX_B))).toBe('0000007000039000');
    expect(send(card, buildGetBalance())).toBe('0000007000039000');
  });

  it('refuses a known transaction id with another amount (6985), changing nothing', () => {
    const card = loyaltyCard();
    send(card, buildCreditOnce(100, TX_A));
    const image = toHex(card.store.committedImage());
    expect(send(card, buildCreditOnce(101, TX_A))).toBe('6985');
    expect(toHex(card.store.committedImage())).toBe(image);
  });

  it('remembers the last 4 transaction ids: a fifth pushes the oldest out', () => {
    const card = loyaltyCard();
    const ids = [1, 2, 3, 4, 5].map((i) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, i));
    for (const id of ids) expect(send(card, buildCreditOnce(1, id)).slice(-4)).toBe('9000');
    for (const id of ids.slice(1)) expect(send(card, buildCreditOnce(1, id)).slice(-4)).toBe('9000');
    expect(send(card, buildGetBalance())).toBe('0000000500059000');
    expect(send(card, buildCreditOnce(1, ids[0]!))).toBe('0000000600069000');
  });

  it.each([
    ['a short data field', '8052010008010203040506070806', '6700'],
    ['an all-zero amount', '805201000C01020304050607080000000006', '6A80'],
    ['P1 02', '805202000C01020304050607080000006406', '6A86'],
    ['P2 01', '805201010C01020304050607080000006406', '6A86'],
  ])('refuses %s', (_what, apdu, sw) => {
    const card = loyaltyCard();
    expect(send(card, fromHex(apdu))).toBe(sw);
    expect(send(card, buildGetBalance())).toBe('0000000000009000');
  });

  it('keeps balance, counter and applied ids together across a power loss at any write of CREDIT [once]', () => {
    let writes = 0;
    {
      const card = loyaltyCard();
      card.onPersistentWrite((w) => void (writes = Math.max(writes, w.index)));
      send(card, buildCreditOnce(100, TX_A));
    }
    expect(writes).toBeGreaterThanOrEqual(3);
    for (let index = 1; index <= writes; index++) {
      const card = loyaltyCard();
      card.onPersistentWrite((w) => (w.index === index ? 'tear' : undefined));
      expect(() => card.transmit(buildCreditOnce(100, TX_A))).toThrow();
      card.onPersistentWrite(undefined);
      const reborn = createCard({ seed: SEED, store: PersistentStore.fromImage(card.store.image()) });
      reborn.powerOn();
      expect(send(reborn, buildSelect(LOYALTY_APPLET_AID))).toBe('9000');
      // Rolled back as a whole: the retry applies it, and once only.
      expect(send(reborn, buildGetBalance())).toBe('0000000000009000');
      expect(send(reborn, buildCreditOnce(100, TX_A))).toBe('0000006400019000');
      expect(send(reborn, buildCreditOnce(100, TX_A))).toBe('0000006400019000');
    }
  });

  it('allocates its log at install: CREDIT [once] changes no free memory (what the issuer last read stays true)', () => {
    const card = loyaltyCard();
    const free = card.store.freeBytes();
    for (let i = 1; i <= 6; i++) send(card, buildCreditOnce(1, Uint8Array.of(0, 0, 0, 0, 0, 0, 1, i)));
    expect(card.store.freeBytes()).toBe(free);
  });

  it('keeps plain CREDIT as it was: the same command twice credits twice', () => {
    const card = loyaltyCard();
    expect(send(card, buildCredit(100))).toBe('0000006400019000');
    expect(send(card, buildCredit(100))).toBe('000000C800029000');
  });
});

describe('loyalty applet: its names for traces', () => {
  const named = (c: Uint8Array, r: string) => annotate(c, fromHex(r), loyaltyApplet.describe);

  it('names CREDIT, CREDIT [once], DEBIT and GET BALANCE with their amounts and answers', () => {
    expect(named(buildCredit(100), '0000006400019000')).toEqual(['CREDIT amount 100 (CLA 80 INS 52 P1 00 P2 00, Lc 04, Le 06)', '9000 success', '  balance 100, counter 1']);
    expect(named(buildCreditOnce(7, TX_A), '0000000700019000')[0]).toBe('CREDIT transaction id 0102030405060708, amount 7 (CLA 80 INS 52 P1 01 P2 00, Lc 0C, Le 06)');
    expect(named(fromHex('8054000004000000FA06'), '6985')).toEqual(['DEBIT amount 250 (CLA 80 INS 54 P1 00 P2 00, Lc 04, Le 06)', '6985 conditions of use not satisfied']);
    expect(named(buildGetBalance(), '0000006400019000')[0]).toBe('GET BALANCE (CLA 80 INS 5C P1 00 P2 00, Le 06)');
  });

  it('shows data of the wrong length in hex, as the card refuses it (6700)', () => {
    expect(named(fromHex('80520000020064'), '6700')).toEqual(['CREDIT (CLA 80 INS 52 P1 00 P2 00, Lc 02)', '  data (2 bytes): 0064', '6700 wrong length (Lc)']);
  });
});
