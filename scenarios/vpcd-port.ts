import {
  createPcscWorkerReader,
  ReaderError,
  serveCardOverVpcd,
  startPrivatePcscd,
  VPCD_READER_NAME,
  type PcscWorkerReader,
  type PrivatePcscd,
  type Reader,
} from '../reader-bridge/index.ts';
import type { Card } from '../simulator/index.ts';
import { ScenarioSkipped } from './run-context.ts';

/** A reader whose card can be pulled out and put back for real (here: the served card leaves vpcd). */
export interface RemovableCardReader extends Reader {
  /** The card leaves the reader; resolves once pcscd has seen it go. */
  pullCard(): Promise<void>;
  /** The card goes back in; the next power-on waits until pcscd sees it. */
  pushCard(): void;
}

let processStack: Promise<PrivatePcscd> | undefined;

/**
 * This process's private pcscd (quickack namespace where permitted, else plain loopback on private
 * vpcd ports): started by the first vpcd scenario, reused by the next ones, stopped by PID when the
 * process ends — normally, or on SIGINT/SIGTERM/SIGHUP (then the signal is raised again), and by the
 * script's watchdog should the process be killed outright. Each scenario worker process has its own.
 */
function processPcscd(): Promise<PrivatePcscd> {
  processStack ??= startPrivatePcscd().then((stack) => {
    process.once('exit', () => stack.stop());
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const onSignal = () => {
        stack.stop();
        process.off(signal, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, onSignal);
    }
    return stack;
  });
  return processStack;
}

/**
 * `reader: vpcd`: the scenario's card, still this process's object (faults on it and assertions on its
 * state work as with `sim`), served to a private pcscd over vpcd from this thread, and driven through
 * `Virtual PCD 00 00` by a PC/SC reader whose blocking calls run in a worker thread. ScenarioSkipped,
 * naming what to install, when pcscd, vpcd or the PC/SC bindings are missing or pcscd cannot start.
 * A card losing power mid-command goes mute, which over vpcd means leaving the reader: that command
 * fails with POWER_LOSS and the next power-on puts the card back.
 */
export async function openVpcdReader(card: Card): Promise<RemovableCardReader> {
  let stack: PrivatePcscd;
  try {
    stack = await processPcscd();
  } catch (err) {
    throw new ScenarioSkipped(`reader vpcd: ${(err as Error).message}`);
  }
  let muted = false;
  /** Out of the reader (pulled, or mute after a power loss) … */
  let out = false;
  /** … and to go back in at the next power-on (after a power loss, or once pushed back). */
  let comesBack = false;
  let removal: Promise<void> = Promise.resolve();
  const server = serveCardOverVpcd(card, {
    ...stack.cardEndpoint,
    backoff: { initialMs: 20, maxMs: 500 },
    onEvent: (e) => {
      if (e.kind === 'power-loss') {
        muted = true;
        comesBack = true;
        // The mute card stays out until the host powers it on again (no reconnection of its own).
        removal = pull();
        removal.catch(() => undefined); // awaited (and its failure reported) by the next power-on
      }
    },
  });
  let reader: PcscWorkerReader;
  try {
    await server.whenConnected(10_000);
    reader = await createPcscWorkerReader({ reader: VPCD_READER_NAME, socket: stack.socket });
  } catch (err) {
    await server.stop();
    if (err instanceof ReaderError && err.code === 'NO_LIBRARY') throw new ScenarioSkipped(`reader vpcd: ${err.message}`);
    throw err;
  }
  const pull = async () => {
    out = true;
    await server.remove();
    await reader.waitForCard(false, 3_000);
  };
  const putBack = async () => {
    if (!out || !comesBack) return;
    await removal.catch(() => undefined);
    out = false;
    comesBack = false;
    muted = false;
    server.insert();
    await server.whenConnected(5_000);
    await reader.waitForCard(true, 5_000);
  };
  try {
    await reader.waitForCard(true, 5_000);
  } catch (err) {
    await reader.close();
    await server.stop();
    throw err;
  }

  return {
    name: reader.name,
    async powerOn() {
      await putBack();
      return reader.powerOn();
    },
    async transmit(capdu) {
      try {
        return await reader.transmit(capdu);
      } catch (err) {
        if (muted) throw new ReaderError('POWER_LOSS', `the card in ${reader.name} lost power during the command and went mute (over vpcd it left the reader); power it on again`, { cause: err });
        throw err;
      }
    },
    async powerOff() {
      // A PC/SC disconnect racing a removal pcscd has not seen yet leaves vpcd's slot deaf to the next card.
      await removal.catch(() => undefined);
      await reader.powerOff();
    },
    async reset() {
      if (!out) return reader.reset();
      await putBack();
      return reader.powerOn();
    },
    isCardPresent: () => !out && reader.isCardPresent(),
    on: (event, fn) => reader.on(event, fn),
    async pullCard() {
      comesBack = false;
      removal = pull();
      await removal;
    },
    pushCard() {
      // The card goes in at the next power-on, which waits for pcscd to see it.
      if (out) comesBack = true;
    },
    async close() {
      await removal.catch(() => undefined);
      await server.stop();
      // The next scenario's card must be a new insertion for pcscd, not this one still seen present.
      await reader.waitForCard(false, 2_000).catch(() => undefined);
      await reader.close();
    },
  };
}
