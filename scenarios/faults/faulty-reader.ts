import { ReaderError, type Reader, type SimReader } from '../../reader-bridge/index.ts';
import type { CardFaultState } from './card-faults.ts';
import type { RemovableCardReader } from '../vpcd-port.ts';

/**
 * A Reader wrapper applying the scenario's APDU-level card faults to everyone who talks to the card
 * (scenario steps and the terminal alike): latency before each command, a power loss at the Nth APDU
 * (the card is cut before it sees it), and removal at the Nth APDU (the card stays out until the next
 * power cycle puts it back; a sim or vpcd card leaves the reader for real, elsewhere power is cut).
 */
export function withCardFaults(reader: SimReader | RemovableCardReader | Reader, state: CardFaultState): Reader & { reinsert(): void } {
  const sim = 'removeCard' in reader ? reader : undefined;
  const removable = 'pullCard' in reader ? reader : undefined;
  let removed: ReturnType<SimReader['removeCard']>;
  return {
    ...reader,
    name: reader.name,
    powerOn: () => reader.powerOn(),
    powerOff: () => reader.powerOff(),
    reset: () => reader.reset(),
    isCardPresent: () => reader.isCardPresent(),
    on: (e, fn) => reader.on(e, fn),
    close: () => reader.close(),
    reinsert() {
      if (sim && removed && !sim.card) sim.insertCard(removed);
      if (removable && state.removed) removable.pushCard();
      removed = undefined;
      state.removed = false;
    },
    async transmit(capdu) {
      if (state.latencyMs) await new Promise((r) => setTimeout(r, state.latencyMs));
      if (state.tearAtApdu !== undefined && --state.tearAtApdu === 0) {
        state.tearAtApdu = undefined;
        await reader.powerOff();
        throw new ReaderError('POWER_LOSS', 'power lost before the card answered (fault tearAtApdu)');
      }
      if (state.removeAtApdu !== undefined && --state.removeAtApdu === 0) {
        state.removeAtApdu = undefined;
        state.removed = true;
        if (sim) removed = sim.removeCard();
        else if (removable) await removable.pullCard();
        else await reader.powerOff();
        throw new ReaderError('CARD_REMOVED', 'the card was pulled out of the reader (fault removeCardAtApdu)');
      }
      if (state.removed && !sim) throw new ReaderError('CARD_REMOVED', 'the card is out of the reader');
      return reader.transmit(capdu);
    },
  };
}
