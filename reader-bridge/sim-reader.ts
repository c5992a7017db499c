import { CardError, type Card } from '../simulator/index.ts';
import { ReaderError, ReaderEvents, type Reader } from './reader.ts';

export interface SimReader extends Reader {
  /** The card in the reader, if any. */
  readonly card: Card | undefined;
  /** Pulls the card out (power is cut, `card-removed` fires); returns it so it can go back in. */
  removeCard(): Card | undefined;
  /** Puts a card in (`card-inserted` fires); the host must power it on. */
  insertCard(card: Card): void;
}

/**
 * The simulated card in process, no sockets: the fast path for scenario suites. The card's own
 * errors become ReaderErrors: a torn write is POWER_LOSS (the card is mute and unpowered afterwards),
 * a command to a pulled card CARD_REMOVED, a power-up of an empty reader NO_CARD.
 */
export function createSimReader(card: Card | undefined, options: { name?: string } = {}): SimReader {
  const name = options.name ?? 'sim';
  const events = new ReaderEvents();
  let current = card;
  /** True from a removal until the next powerOn: the host's session with that card is gone. */
  let removedSincePowerOn = false;
  let closed = false;

  const inReader = (what: string): Card => {
    if (closed) throw new ReaderError('TRANSPORT', `reader ${name} is closed; create a new one`);
    if (current) return current;
    if (removedSincePowerOn) throw new ReaderError('CARD_REMOVED', `the card was removed from ${name} during ${what}; insert it and power it on again`);
    throw new ReaderError('NO_CARD', `no card in ${name}: insert one before ${what}`);
  };

  const reader: SimReader = {
    name,
    get card() {
      return current;
    },
    async powerOn() {
      removedSincePowerOn = false;
      return inReader('power-on').powerOn();
    },
    async transmit(capdu) {
      const c = inReader('the command');
      try {
        return c.transmit(capdu);
      } catch (err) {
        if (err instanceof CardError && err.code === 'POWER_LOSS') {
          throw new ReaderError('POWER_LOSS', `the card in ${name} lost power during the command and gave no response (${err.message}); power it on again`, { cause: err });
        }
        if (err instanceof CardError && err.code === 'POWERED_OFF') {
          throw new ReaderError('TRANSPORT', `the card in ${name} is not powered: call powerOn() first`, { cause: err });
        }
        throw err;
      }
    },
    async powerOff() {
      current?.powerOff();
    },
    async reset() {
      return inReader('reset').reset();
    },
    isCardPresent: () => current !== undefined,
    on: (event, fn) => events.on(event, fn),
    async close() {
      closed = true;
      events.clear();
    },
    removeCard() {
      const c = current;
      if (!c) return undefined;
      c.powerOff();
      current = undefined;
      removedSincePowerOn = true;
      events.emit('card-removed');
      return c;
    },
    insertCard(c) {
      if (current) throw new ReaderError('TRANSPORT', `${name} already holds a card: remove it first`);
      current = c;
      events.emit('card-inserted');
    },
  };
  return reader;
}
