import type { Reader } from '../reader.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Adds `ms` of delay before every power-on, reset and exchange: a slow reader or a remote card, to
 * see what a suite's timeouts and progress reporting do when the card is not instant.
 */
export function withLatency(reader: Reader, ms: number): Reader {
  return {
    name: reader.name,
    powerOn: async () => (await sleep(ms), reader.powerOn()),
    transmit: async (capdu) => (await sleep(ms), reader.transmit(capdu)),
    powerOff: () => reader.powerOff(),
    reset: async () => (await sleep(ms), reader.reset()),
    isCardPresent: () => reader.isCardPresent(),
    on: (e, fn) => reader.on(e, fn),
    close: () => reader.close(),
  };
}
