import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { createCard } from '../simulator/index.ts';
import { ReaderError } from './reader.ts';
import { createSimReader } from './sim-reader.ts';

const INITIALIZE_UPDATE = fromHex('8050000008112233445566778800');

async function rejection(p: Promise<unknown>): Promise<ReaderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ReaderError);
  return err as ReaderError;
}

describe('sim reader (in-process card)', () => {
  it('powers the card on (ATR) and answers SELECT of the ISD with its FCI', async () => {
    const reader = createSimReader(createCard({ seed: 0 }));
    expect(reader.name).toBe('sim');
    expect(toHex(await reader.powerOn())).toBe('3B8C8001636172646C6162204750323340');
    const r = await reader.transmit(fromHex('00A4040000'));
    expect(toHex(r)).toMatch(/^6F41.*9000$/);
    expect(reader.isCardPresent()).toBe(true);
  });

  it('turns a torn persistent write into POWER_LOSS; the card is unpowered until the next power-on', async () => {
    const card = createCard({ seed: 0 });
    const reader = createSimReader(card, { name: 'sim-1' });
    await reader.powerOn();
    card.onPersistentWrite(() => 'tear');
    const err = await rejection(reader.transmit(INITIALIZE_UPDATE));
    expect(err.code).toBe('POWER_LOSS');
    expect(err.message).toMatch(/sim-1 lost power.*power it on again/);
    card.onPersistentWrite(undefined);
    expect((await rejection(reader.transmit(fromHex('00A4040000')))).code).toBe('TRANSPORT');
    await reader.powerOn();
    expect(toHex(await reader.transmit(INITIALIZE_UPDATE))).toMatch(/9000$/);
  });

  it('removeCard fires card-removed and makes the next command CARD_REMOVED; insertCard fires card-inserted', async () => {
    const reader = createSimReader(createCard({ seed: 0 }));
    const seen: string[] = [];
    reader.on('card-removed', () => seen.push('removed'));
    const off = reader.on('card-inserted', () => seen.push('inserted'));
    await reader.powerOn();
    const card = reader.removeCard()!;
    expect(card.powered).toBe(false);
    expect(reader.isCardPresent()).toBe(false);
    expect((await rejection(reader.transmit(fromHex('00A4040000')))).code).toBe('CARD_REMOVED');
    expect((await rejection(reader.powerOn())).code).toBe('NO_CARD');
    reader.insertCard(card);
    off();
    reader.removeCard();
    reader.insertCard(card);
    expect(seen).toEqual(['removed', 'inserted', 'removed']);
    await reader.powerOn();
    expect(toHex(await reader.transmit(fromHex('00A4040000')))).toMatch(/9000$/);
  });

  it('refuses a command on an empty reader with NO_CARD, and anything after close() with TRANSPORT', async () => {
    const reader = createSimReader(undefined);
    expect((await rejection(reader.transmit(fromHex('00A4040000')))).code).toBe('NO_CARD');
    reader.insertCard(createCard());
    await reader.close();
    expect((await rejection(reader.powerOn())).code).toBe('TRANSPORT');
  });

  it('warm reset keeps persistent memory and ends the volatile state', async () => {
    const reader = createSimReader(createCard({ seed: 0 }));
    await reader.powerOn();
    expect(toHex(await reader.reset())).toBe('3B8C8001636172646C6162204750323340');
    // GET RESPONSE with nothing pending after the reset: 6985.
    await reader.transmit(fromHex('80CA9F7F'));
    await reader.reset();
    expect(toHex(await reader.transmit(fromHex('00C0000000')))).toBe('6985');
  });
});
