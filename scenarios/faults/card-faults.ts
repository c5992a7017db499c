import { fromHex, toHex } from '../../protocol/bytes.ts';
import type { Card } from '../../simulator/index.ts';
import { StepFailure } from '../run-context.ts';
import type { FaultSpec } from '../scenario.ts';

/** Faults injected between the scenario and its card: what `send` consults before every exchange. */
export interface CardFaultState {
  latencyMs: number;
  /** Countdown to a power loss before the card sees the command (tearAtApdu). */
  tearAtApdu?: number;
  /** Countdown to a removal (removeCardAtApdu); while `removed` every command fails until a power cycle. */
  removeAtApdu?: number;
  removed: boolean;
}

export function newCardFaultState(): CardFaultState {
  return { latencyMs: 0, removed: false };
}

/**
 * Applies a card fault: power loss at the Nth persistent write (counted across commands from now),
 * at the Nth APDU, a forced status word on commands starting with a prefix (an override in front of
 * the card's handlers, msw-style), latency, card removal. Write-level faults need the simulated card.
 */
export function applyCardFault(card: Card | undefined, state: CardFaultState, fault: FaultSpec, onFired?: (rule: string) => void): string {
  const needCard = (what: string): Card => {
    if (!card) throw new StepFailure(`${what} needs the simulated card (reader sim or vpcd)`);
    return card;
  };
  const done: string[] = [];
  if (fault.clear) {
    card?.onPersistentWrite(undefined);
    card?.resetOverrides();
    Object.assign(state, newCardFaultState());
    done.push('faults cleared');
  }
  if (fault.tearAtWrite !== undefined) {
    const c = needCard('tearAtWrite');
    let count = 0;
    const at = fault.tearAtWrite;
    c.onPersistentWrite(() => {
      count++;
      if (count === at) {
        c.onPersistentWrite(undefined);
        return 'tear';
      }
      return undefined;
    });
    done.push(`power loss at persistent write ${at}`);
  }
  if (fault.tearAtApdu !== undefined) {
    state.tearAtApdu = fault.tearAtApdu;
    done.push(`power loss at APDU ${fault.tearAtApdu}`);
  }
  if (fault.removeCardAtApdu !== undefined) {
    state.removeAtApdu = fault.removeCardAtApdu;
    done.push(`card removal at APDU ${fault.removeCardAtApdu}`);
  }
  if (fault.latencyMs !== undefined) {
    state.latencyMs = fault.latencyMs;
    done.push(`latency ${fault.latencyMs} ms`);
  }
  if (fault.forceSw) {
    const c = needCard('forceSw');
    const prefix = fromHex(fault.forceSw.match);
    const sw = parseInt(fault.forceSw.sw, 16);
    let remaining = fault.forceSw.times ?? Infinity;
    c.use({
      name: `forced ${fault.forceSw.sw} on ${toHex(prefix)}`,
      match: (apdu) => {
        if (remaining <= 0) return false;
        const header = Uint8Array.of(apdu.cla, apdu.ins, apdu.p1, apdu.p2, ...apdu.data);
        return prefix.every((b, i) => header[i] === b);
      },
      handle: () => {
        remaining--;
        onFired?.(`forceSw: ${fault.forceSw!.sw} on ${fault.forceSw!.match}`);
        return { data: new Uint8Array(0), sw };
      },
    });
    done.push(`status word ${fault.forceSw.sw} forced on ${fault.forceSw.match}…${fault.forceSw.times ? ` (${fault.forceSw.times}×)` : ''}`);
  }
  if (fault.tamperResponse) {
    const c = needCard('tamperResponse');
    const prefix = fromHex(fault.tamperResponse.match);
    let armed = true;
    c.use({
      name: `tamper the response to ${toHex(prefix)}`,
      once: true,
      match: (apdu) => {
        const header = Uint8Array.of(apdu.cla, apdu.ins, apdu.p1, apdu.p2, ...apdu.data);
        return armed && prefix.every((b, i) => header[i] === b);
      },
      handle: (_ctx, next) => {
        armed = false;
        const r = next();
        if (r.data.length === 0) return r;
        const data = Uint8Array.from(r.data);
        const i = Math.min(fault.tamperResponse!.byte ?? data.length - 1, data.length - 1);
        data[i]! ^= 0x01;
        return { data, sw: r.sw };
      },
    });
    done.push(`the response to ${fault.tamperResponse.match}… gets one byte altered`);
  }
  return done.join(', ');
}
