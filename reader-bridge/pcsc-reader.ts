import { ReaderError, ReaderEvents, withTimeout, type Reader } from './reader.ts';

/** The reader vpcd slot 0 shows in PC/SC: a card served by `serveCardOverVpcd` (the terminal's `vpcd` reader). */
export const VPCD_READER_NAME = 'Virtual PCD 00 00';

const INSTALL_LIBRARY = 'npm install smartcard (an optional dependency; building it needs libpcsclite-dev), and apt-get install pcscd libpcsclite1';

export interface PcscReaderOptions {
  /** Reader name, exactly or as a prefix (default: the first reader). */
  reader?: string;
  /** Longest wait for a power-on / reset (ms; default 5,000). */
  connectTimeoutMs?: number;
  /** Longest wait for one exchange (ms; default 30,000). */
  transmitTimeoutMs?: number;
}

export interface PcscReader extends Reader {
  /** Every reader pcscd knows now. */
  listReaders(): string[];
}

// The parts of the `smartcard` package (N-API bindings to libpcsclite) used here; it is an optional
// dependency, so its own types may be absent at type-check time.
interface ScCard {
  readonly atr: Buffer | null;
  transmit(command: Buffer, options?: { maxRecvLength?: number }): Promise<Buffer>;
  disconnect(disposition?: number): void;
  reconnect(shareMode?: number, protocol?: number, initialization?: number): Promise<number>;
  getStatus(): { state: number; protocol: number; atr: Buffer };
}
interface ScReader {
  readonly name: string;
  readonly state: number;
  connect(shareMode?: number, protocol?: number): Promise<ScCard>;
}
interface ScContext {
  listReaders(): ScReader[];
  close(): void;
}
interface ScMonitor {
  start(callback: (event: { type: string; reader: string }) => void): void;
  stop(): void;
}
interface ScModule {
  Context: new () => ScContext;
  ReaderMonitor: new () => ScMonitor;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  SCARD_UNPOWER_CARD: number;
  SCARD_STATE_PRESENT: number;
}

let library: Promise<ScModule> | undefined;

/** Loads the `smartcard` bindings once; NO_LIBRARY, naming what to install, when they are missing or do not load. */
export function loadPcscLibrary(): Promise<ScModule> {
  library ??= (async () => {
    const specifier = 'smartcard';
    try {
      const mod = (await import(specifier)) as ScModule & { default?: ScModule };
      return mod.default?.Context ? mod.default : mod;
    } catch (err) {
      library = undefined;
      throw new ReaderError('NO_LIBRARY', `the PC/SC bindings did not load (${(err as Error).message.split('\n')[0]}): ${INSTALL_LIBRARY}`, { cause: err });
    }
  })();
  return library;
}

/** Maps a pcsc-lite error (the bindings reject with its text) to a ReaderError saying what to do. */
function pcscError(err: unknown, where: string): ReaderError {
  if (err instanceof ReaderError) return err;
  const text = (err as Error)?.message ?? String(err);
  const say = (code: ReaderError['code'], advice: string) => new ReaderError(code, `${where}: ${text}: ${advice}`, { cause: err });
  if (/service not running|service stopped|No such file|Connection refused/i.test(text)) {
    return say('NO_DAEMON', 'start the PC/SC daemon (pcscd; apt-get install pcscd), or point PCSCLITE_CSOCK_NAME at its socket');
  }
  if (/removed/i.test(text)) return say('CARD_REMOVED', 'the card left the reader; insert it and power it on again');
  if (/No smart card|unpowered|unresponsive|not connected/i.test(text)) return say('NO_CARD', 'insert a card (for vpcd: start `cardlab card serve --vpcd`) and power it on');
  if (/Unknown reader|Reader unavailable|No readers/i.test(text)) return say('NO_READER', 'plug the reader in (for vpcd: apt-get install vsmartcard-vpcd and restart pcscd)');
  if (/timed out|timeout/i.test(text)) return say('TIMEOUT', 'the reader or card did not answer in time');
  return say('TRANSPORT', 'the PC/SC stack refused the operation');
}

/** The names of the readers pcscd knows. NO_LIBRARY / NO_DAEMON when the stack is not there. */
export async function listReaders(): Promise<string[]> {
  const sc = await loadPcscLibrary();
  const context = openContext(sc);
  try {
    return context.listReaders().map((r) => r.name);
  } catch (err) {
    throw pcscError(err, 'listing PC/SC readers');
  } finally {
    context.close();
  }
}

function openContext(sc: ScModule): ScContext {
  try {
    return new sc.Context();
  } catch (err) {
    throw pcscError(err, 'opening a PC/SC context');
  }
}

/**
 * A card reader of the system's PC/SC stack (pcscd), through the `smartcard` package: a real reader
 * on a desk, or `Virtual PCD 00 00` where vpcd serves a simulated card. Power-on is a shared connect
 * (T=0 or T=1), power-off a disconnect that unpowers the card. Every call has a timeout, so a missing
 * daemon, reader or card is a ReaderError saying what to do, never a hang. pcsc-lite's client library
 * honours PCSCLITE_CSOCK_NAME (the daemon's socket) from the environment, read once per process.
 * Serve a vpcd card from another process than the one holding this reader: the bindings' disconnect
 * and status calls are synchronous, and pcscd asks the card for its ATR while they block.
 */
export async function createPcscReader(options: PcscReaderOptions = {}): Promise<PcscReader> {
  const sc = await loadPcscLibrary();
  const context = openContext(sc);
  const connectTimeout = options.connectTimeoutMs ?? 5_000;
  const transmitTimeout = options.transmitTimeoutMs ?? 30_000;
  const list = (): ScReader[] => {
    try {
      return context.listReaders();
    } catch (err) {
      throw pcscError(err, 'listing PC/SC readers');
    }
  };
  const find = (): ScReader => {
    const readers = list();
    const wanted = options.reader;
    const r = wanted === undefined ? readers[0] : (readers.find((x) => x.name === wanted) ?? readers.find((x) => x.name.startsWith(wanted)));
    if (r) return r;
    const known = readers.length ? `pcscd knows: ${readers.map((x) => `'${x.name}'`).join(', ')}` : 'pcscd knows no reader';
    throw new ReaderError('NO_READER', `no PC/SC reader ${wanted === undefined ? 'at all' : `named '${wanted}'`} (${known}): plug one in${wanted?.startsWith('Virtual PCD') ? ', or apt-get install vsmartcard-vpcd and restart pcscd' : ''}`);
  };
  let handle: ScReader;
  try {
    handle = find();
  } catch (err) {
    context.close();
    throw err;
  }
  const name = handle.name;
  const events = new ReaderEvents();
  let card: ScCard | undefined;
  let monitor: ScMonitor | undefined;
  let closed = false;

  const connected = (): ScCard => {
    if (closed) throw new ReaderError('TRANSPORT', `reader ${name} is closed; create a new one`);
    if (!card) throw new ReaderError('NO_CARD', `no card connected in ${name}: call powerOn() first`);
    return card;
  };
  const startMonitor = () => {
    if (monitor || closed) return;
    monitor = new sc.ReaderMonitor();
    monitor.start((e) => {
      if (e.reader !== name) return;
      if (e.type === 'card-inserted') events.emit('card-inserted');
      if (e.type === 'card-removed') {
        card = undefined;
        events.emit('card-removed');
      }
    });
  };

  const powerOn = async (): Promise<Uint8Array> => {
    if (card) {
      // A cold power-up of a connected card: unpower, then connect afresh.
      try {
        card.disconnect(sc.SCARD_UNPOWER_CARD);
      } catch {
        // Already gone (removed): connecting again says whether a card is there.
      }
      card = undefined;
    }
    const reader = list().find((r) => r.name === name);
    if (!reader) throw new ReaderError('NO_READER', `reader ${name} is gone from pcscd: plug it in again`);
    if ((reader.state & sc.SCARD_STATE_PRESENT) === 0) throw new ReaderError('NO_CARD', `no card in ${name}: insert one${name.startsWith('Virtual PCD') ? ' (start `cardlab card serve --vpcd`)' : ''}`);
    try {
      card = await withTimeout(reader.connect(sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1), connectTimeout, `power-on of the card in ${name}`);
    } catch (err) {
      throw pcscError(err, `powering on the card in ${name}`);
    }
    return new Uint8Array(card.atr ?? card.getStatus().atr);
  };
  const powerOff = async (): Promise<void> => {
    const c = card;
    card = undefined;
    if (!c) return;
    try {
      c.disconnect(sc.SCARD_UNPOWER_CARD);
    } catch {
      // The card is already gone: power is off either way.
    }
  };

  return {
    name,
    listReaders: () => list().map((r) => r.name),
    powerOn,
    async transmit(capdu) {
      const c = connected();
      try {
        // Room for an extended-length response (65,536 data bytes and the status word).
        const r = await withTimeout(c.transmit(Buffer.from(capdu), { maxRecvLength: 65_538 }), transmitTimeout, `the card in ${name}`);
        // vpcd answers a command whose card left mid-exchange with nothing at all: no card, no answer.
        if (r.length < 2) throw new ReaderError('CARD_REMOVED', `the card in ${name} gave no status word (it left the reader or lost power during the command): insert it and power it on again`);
        return new Uint8Array(r);
      } catch (err) {
        const e = pcscError(err, `exchanging an APDU with the card in ${name}`);
        if (e.code === 'CARD_REMOVED') card = undefined;
        throw e;
      }
    },
    powerOff,
    async reset() {
      if (!card) return powerOn();
      const c = card;
      try {
        await withTimeout(c.reconnect(sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1, sc.SCARD_RESET_CARD), connectTimeout, `reset of the card in ${name}`);
        return new Uint8Array(c.getStatus().atr);
      } catch (err) {
        const e = pcscError(err, `resetting the card in ${name}`);
        if (e.code === 'CARD_REMOVED') card = undefined;
        throw e;
      }
    },
    isCardPresent() {
      const reader = list().find((r) => r.name === name);
      return reader !== undefined && (reader.state & sc.SCARD_STATE_PRESENT) !== 0;
    },
    on(event, fn) {
      startMonitor();
      return events.on(event, fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      events.clear();
      monitor?.stop();
      await powerOff();
      context.close();
    },
  };
}
