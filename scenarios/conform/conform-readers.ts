import {
  createPcscWorkerReader,
  createSimReader,
  openReaderBySpec,
  ReaderError,
  serveCardOverVpcd,
  startPrivatePcscd,
  VPCD_READER_NAME,
  type PcscWorkerReader,
  type PrivatePcscd,
  type Reader,
  type ServedCard,
} from '../../reader-bridge/index.ts';
import type { Card } from '../../simulator/index.ts';

/** `--reader` names nothing this suite can open. */
export class ConformUsageError extends Error {
  override readonly name = 'ConformUsageError';
}

/** This machine lacks what the reader needs (pcscd, vpcd, the `smartcard` bindings): the suite is skipped, with what to install. */
export class ConformUnavailable extends Error {
  override readonly name = 'ConformUnavailable';
}

/**
 * Where the suite's paths run:
 * - `fresh`: every path gets a new card of this process (sim, vpcd): its machine state can be compared with the model's;
 * - `shared`: one card throughout (a real card through PC/SC), so each path gives back what it changed, and paths
 *   that need another start life cycle, or would lock or terminate the card, are left out unless `--destructive`;
 * - `recorded`: a trace of an earlier run (replay:FILE), replayed path for path as it was recorded.
 */
export interface ConformLane {
  readonly spec: string;
  readonly kind: 'fresh' | 'shared' | 'recorded';
  /** The reader for the next path; with a fresh lane, `card` is in it, powered off. */
  readerFor(card: Card | undefined): Promise<Reader>;
  close(): Promise<void>;
}

export function isReaderSpec(spec: string): boolean {
  return spec === 'sim' || spec === 'vpcd' || spec === 'pcsc' || /^pcsc:.+/.test(spec) || /^replay:.+/.test(spec);
}

/** The lane for `--reader`: sim (in process), vpcd (a private pcscd, the card served over vpcd), pcsc[:NAME], replay:FILE. */
export async function openConformLane(spec: string): Promise<ConformLane> {
  if (!isReaderSpec(spec)) throw new ConformUsageError(`unknown reader '${spec}': use sim, vpcd, pcsc[:NAME] or replay:FILE`);
  if (spec === 'sim') return { spec, kind: 'fresh', readerFor: async (card) => createSimReader(card), close: async () => {} };
  if (spec === 'vpcd') return openVpcdLane();
  let reader: Reader | undefined;
  try {
    reader = await openReaderBySpec(spec);
  } catch (err) {
    if (err instanceof ReaderError && (err.code === 'NO_LIBRARY' || err.code === 'NO_DAEMON')) throw new ConformUnavailable(`reader ${spec}: ${err.message}`);
    throw err;
  }
  if (!reader) throw new ConformUsageError(`unknown reader '${spec}'`);
  return oneCardLane(spec, reader, spec.startsWith('replay:') ? 'recorded' : 'shared');
}

/** A lane over one reader and the one card in it for the whole run (a real card, a recorded trace). */
export function oneCardLane(spec: string, one: Reader, kind: 'shared' | 'recorded'): ConformLane {
  // Paths close their reader when they end; the one reader of the lane closes with the lane.
  const kept: Reader = { ...one, name: one.name, powerOn: () => one.powerOn(), powerOff: () => one.powerOff(), reset: () => one.reset(), transmit: (c) => one.transmit(c), isCardPresent: () => one.isCardPresent(), on: (e, f) => one.on(e, f), close: async () => {} };
  return { spec, kind, readerFor: async () => kept, close: () => one.close() };
}

/**
 * A card slot whose card can be swapped between paths: vpcd serves this one object for the whole run,
 * and each path puts a fresh card in it while it is powered off (pcscd sees one card, powered anew).
 */
class SwappableCard implements ServedCard {
  constructor(public card: Card) {}
  get profile() {
    return this.card.profile;
  }
  powerOn() {
    return this.card.powerOn();
  }
  powerOff() {
    this.card.powerOff();
  }
  reset() {
    return this.card.reset();
  }
  transmit(capdu: Uint8Array) {
    return this.card.transmit(capdu);
  }
}

let processStack: Promise<PrivatePcscd> | undefined;

/**
 * This process's private pcscd, started by the first vpcd run and reused by the next (pcsc-lite reads its
 * socket once per process), stopped by PID when the process exits (and by the script's watchdog should
 * the process be killed outright). A start that failed is tried again by the next run.
 */
function processPcscd(): Promise<PrivatePcscd> {
  processStack ??= startPrivatePcscd().then(
    (stack) => {
      process.once('exit', () => stack.stop());
      return stack;
    },
    (err: unknown) => {
      processStack = undefined;
      throw err;
    },
  );
  return processStack;
}

/**
 * vpcd: a private pcscd of this process (startPrivatePcscd), the path's card served to it over vpcd from
 * this thread, and the host on `Virtual PCD 00 00` through the PC/SC worker reader. One connection for the
 * run; a new card goes into the slot before each path, powered off, so the path's power-up is its first.
 */
async function openVpcdLane(): Promise<ConformLane> {
  let stack: PrivatePcscd;
  try {
    stack = await processPcscd();
  } catch (err) {
    throw new ConformUnavailable(`reader vpcd: ${(err as Error).message}`);
  }
  const slot = new SwappableCard(undefined as unknown as Card);
  let server: ReturnType<typeof serveCardOverVpcd> | undefined;
  let reader: PcscWorkerReader | undefined;
  const stop = async () => {
    await reader?.powerOff().catch(() => undefined);
    await server?.stop();
    await reader?.waitForCard(false, 2_000).catch(() => undefined);
    await reader?.close();
  };
  return {
    spec: 'vpcd',
    kind: 'fresh',
    async readerFor(card) {
      if (!card) throw new Error('the vpcd lane serves a card of this process');
      if (reader) await reader.powerOff();
      slot.card?.powerOff();
      slot.card = card;
      if (!server) {
        server = serveCardOverVpcd(slot, { ...stack.cardEndpoint, backoff: { initialMs: 20, maxMs: 500 } });
        try {
          await server.whenConnected(10_000);
          reader = await createPcscWorkerReader({ reader: VPCD_READER_NAME, socket: stack.socket });
          await reader.waitForCard(true, 5_000);
        } catch (err) {
          await stop();
          if (err instanceof ReaderError && err.code === 'NO_LIBRARY') throw new ConformUnavailable(`reader vpcd: ${err.message}`);
          throw err;
        }
      }
      const r = reader!;
      // The PC/SC reader outlives the path: the runner's close() must not close it.
      return { ...r, name: r.name, powerOn: () => r.powerOn(), powerOff: () => r.powerOff(), reset: () => r.reset(), transmit: (c) => r.transmit(c), isCardPresent: () => r.isCardPresent(), on: (e, f) => r.on(e, f), close: async () => {} };
    },
    close: stop,
  };
}
