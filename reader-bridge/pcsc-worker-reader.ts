import { Worker } from 'node:worker_threads';
import type { PcscReaderOptions } from './pcsc-reader.ts';
import { ReaderError, ReaderEvents, type Reader, type ReaderErrorCode, type ReaderEvent } from './reader.ts';

export interface PcscWorkerReaderOptions extends PcscReaderOptions {
  /** pcscd's socket (PCSCLITE_CSOCK_NAME), e.g. a private daemon's; pcsc-lite reads it once per process. */
  socket?: string;
}

export interface PcscWorkerReader extends Reader {
  /** Every reader pcscd knows now. */
  listReaders(): Promise<string[]>;
  /** Resolves once pcscd reports the card present (or absent, `present` false); NO_CARD / TIMEOUT after `timeoutMs`. */
  waitForCard(present?: boolean, timeoutMs?: number): Promise<void>;
}

/** Messages to the worker thread (pcsc-worker.ts). */
export type PcscWorkerRequest = { id: number; reader: number } & (
  | { op: 'open'; options: PcscReaderOptions }
  | { op: 'transmit'; capdu: Uint8Array }
  | { op: 'powerOn' | 'powerOff' | 'reset' | 'present' | 'list' | 'close' }
);
/** Messages from it: an answer to request `id`, or a card event of a reader. */
export type PcscWorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code?: ReaderErrorCode; message: string } }
  | { event: ReaderEvent; reader: number; present: boolean };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const BOOTSTRAP = new URL(import.meta.url.endsWith('.ts') ? './pcsc-worker-bootstrap.mjs' : './pcsc-worker.js', import.meta.url);

/**
 * The one worker thread of the process: the `smartcard` bindings keep process-wide state (one loaded
 * environment at a time), and pcsc-lite reads PCSCLITE_CSOCK_NAME once per process, so every worker
 * reader shares it. It never keeps the process alive while no request is pending.
 */
let thread: { worker: Worker; pending: Map<number, Pending>; listeners: Map<number, (m: { event: ReaderEvent; present: boolean }) => void> } | undefined;
/** The socket the process's pcsc-lite client uses, once a worker started ('' = its default). */
let socketInUse: string | undefined;
let nextId = 1;
let nextReader = 1;

function workerThread(socket: string | undefined) {
  const wanted = socket ?? process.env.PCSCLITE_CSOCK_NAME ?? '';
  if (socketInUse !== undefined && wanted !== socketInUse) {
    throw new ReaderError('TRANSPORT', `this process already talks to the pcscd at ${socketInUse || 'the default socket'}: pcsc-lite reads PCSCLITE_CSOCK_NAME once per process; use another process for ${wanted || 'the default socket'}`);
  }
  if (thread) return thread;
  // Native getenv sees what the main thread sets here, worker or not.
  if (socket !== undefined) process.env.PCSCLITE_CSOCK_NAME = socket;
  socketInUse = wanted;
  const worker = new Worker(BOOTSTRAP, { execArgv: [] });
  worker.unref();
  const t = { worker, pending: new Map<number, Pending>(), listeners: new Map<number, (m: { event: ReaderEvent; present: boolean }) => void>() };
  const fail = (why: string) => {
    if (thread === t) thread = undefined;
    for (const [id, p] of t.pending) {
      clearTimeout(p.timer);
      t.pending.delete(id);
      p.reject(new ReaderError('TRANSPORT', `the PC/SC worker thread ${why}`));
    }
  };
  worker.on('message', (m: PcscWorkerReply) => {
    if ('event' in m) return t.listeners.get(m.reader)?.(m);
    const p = t.pending.get(m.id);
    if (!p) return; // answered after its timeout
    t.pending.delete(m.id);
    clearTimeout(p.timer);
    if (t.pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(m.error.code ? new ReaderError(m.error.code, m.error.message) : new ReaderError('TRANSPORT', `the PC/SC worker failed: ${m.error.message}`));
  });
  worker.on('error', (err) => fail(`failed: ${err.message}`));
  worker.on('exit', (code) => fail(`exited (${code})`));
  thread = t;
  return t;
}

/**
 * A PC/SC reader (as `createPcscReader`) whose `smartcard` calls run in a worker thread, proxied over
 * messages, each with a timeout: the bindings' synchronous calls (disconnect, status) block the worker,
 * never this thread. So a card served over vpcd by this very thread (`serveCardOverVpcd`) and this
 * reader talk in one process, where pcscd, asking the card for its ATR, would otherwise wait on a
 * blocked thread forever. ReaderErrors keep their code and message. `isCardPresent()` answers from the
 * last state pcscd reported (card events, power-on, `waitForCard`). Do not also load the bindings in
 * this process's main thread (`createPcscReader`): they hold one set of process-wide handles.
 */
export async function createPcscWorkerReader(options: PcscWorkerReaderOptions = {}): Promise<PcscWorkerReader> {
  const { socket, ...readerOptions } = options;
  const t = workerThread(socket);
  const id = nextReader++;
  const connectMs = (options.connectTimeoutMs ?? 5_000) + 5_000;
  const transmitMs = (options.transmitTimeoutMs ?? 30_000) + 5_000;
  const events = new ReaderEvents();
  let present = false;
  let closed = false;
  let name = options.reader ?? 'PC/SC';

  type Op = PcscWorkerRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;
  const call = <T>(op: Op, ms: number, extra: { capdu?: Uint8Array; options?: PcscReaderOptions } = {}): Promise<T> => {
    if (closed && op !== 'close') return Promise.reject(new ReaderError('TRANSPORT', `reader ${name} is closed; create a new one`));
    if (!thread || thread !== t) return Promise.reject(new ReaderError('TRANSPORT', `the PC/SC worker thread of reader ${name} is gone; create a new reader`));
    const reqId = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        t.pending.delete(reqId);
        if (t.pending.size === 0) t.worker.unref();
        reject(new ReaderError('TIMEOUT', `${op} on ${name}: the PC/SC worker did not answer within ${ms} ms`));
      }, ms);
      t.pending.set(reqId, { resolve: resolve as (v: unknown) => void, reject, timer });
      t.worker.ref();
      t.worker.postMessage({ id: reqId, reader: id, op, ...extra } as PcscWorkerRequest);
    });
  };
  /** Keeps `present` in step with what an error says about the card. */
  const noting = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof ReaderError && (err.code === 'NO_CARD' || err.code === 'CARD_REMOVED')) present = false;
      throw err;
    }
  };

  t.listeners.set(id, (m) => {
    present = m.present;
    events.emit(m.event);
  });
  try {
    const opened = await call<{ name: string; present: boolean }>('open', 20_000, { options: readerOptions });
    name = opened.name;
    present = opened.present;
  } catch (err) {
    t.listeners.delete(id);
    throw err;
  }

  return {
    get name() {
      return name;
    },
    async powerOn() {
      const atr = await noting(call<Uint8Array>('powerOn', connectMs));
      present = true;
      return atr;
    },
    transmit: (capdu) => noting(call<Uint8Array>('transmit', transmitMs, { capdu })),
    powerOff: () => call<void>('powerOff', connectMs),
    reset: () => noting(call<Uint8Array>('reset', connectMs)),
    isCardPresent: () => present,
    on: (event, fn) => events.on(event, fn),
    listReaders: () => call<string[]>('list', connectMs),
    async waitForCard(want = true, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        present = await call<boolean>('present', connectMs);
        if (present === want) return;
        if (Date.now() > deadline) {
          throw want
            ? new ReaderError('NO_CARD', `no card in ${name} after ${timeoutMs} ms: insert one${name.startsWith('Virtual PCD') ? ' (serve one over vpcd)' : ''}`)
            : new ReaderError('TIMEOUT', `the card is still in ${name} after ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      if (closed) return;
      events.clear();
      t.listeners.delete(id);
      try {
        await call<void>('close', connectMs);
      } catch {
        // The worker is gone or stuck: nothing of this reader is left to release here.
      } finally {
        closed = true;
      }
    },
  };
}
