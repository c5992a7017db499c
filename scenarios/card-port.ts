import type { Card } from '../simulator/index.ts';
import type { CardPort } from './run-context.ts';
import { StepFailure } from './run-context.ts';

/**
 * The card port for a reader spec. `sim` drives the simulated card in process; the other readers come
 * from reader-bridge (vpcd, pcsc:NAME, replay:FILE).
 */
export async function openPort(reader: string, card: Card, _dir: string): Promise<CardPort> {
  if (reader === 'sim') {
    return {
      name: 'sim',
      powerOn: async () => card.powerOn(),
      powerOff: async () => card.powerOff(),
      reset: async () => card.reset(),
      transmit: async (c) => card.transmit(c),
      close: async () => {},
    };
  }
  throw new StepFailure(`reader ${reader} is not available in this build`);
}
