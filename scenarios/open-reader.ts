import { resolve } from 'node:path';
import { createSimReader, openReaderBySpec, type Reader } from '../reader-bridge/index.ts';
import { loadCard, type Card } from '../simulator/index.ts';

export class ReaderSpecError extends Error {
  override readonly name = 'ReaderSpecError';
}

/**
 * A Reader from its spec: `sim` (the card image given, in process), `vpcd` (whatever card pcscd shows in
 * `Virtual PCD 00 00` — e.g. one served by `cardlab card serve --vpcd`), `pcsc[:NAME]` (a real reader,
 * the first one or the one whose name starts with NAME), `replay:FILE` (a recorded trace).
 */
export async function openReader(spec: string, options: { card?: string; seed?: number | string } = {}): Promise<{ reader: Reader; card?: Card; cardFile?: string }> {
  if (spec === 'sim') {
    if (!options.card) throw new ReaderSpecError('--reader sim needs --card <card image> (make one with `cardlab card new`)');
    const cardFile = resolve(options.card);
    const card = loadCard(cardFile, { seed: options.seed ?? '0' });
    return { reader: createSimReader(card), card, cardFile };
  }
  const reader = await openReaderBySpec(spec);
  if (reader) return { reader };
  throw new ReaderSpecError(`unknown reader '${spec}': use sim, vpcd, pcsc[:NAME] or replay:FILE`);
}
