import { connect, type Socket } from 'node:net';
import { CardError } from '../../simulator/index.ts';
import { ReaderError } from '../reader.ts';
import { FrameDecoder, MAX_FRAME_PAYLOAD, VPCD_CONTROL, encodeFrame } from './framing.ts';

/** What the server needs of a card: a `Card` from the simulator fits, and so does a bare test responder. */
export interface ServedCard {
  readonly profile: { readonly atr: Uint8Array };
  powerOn(): Uint8Array;
  powerOff(): void;
  reset(): Uint8Array;
  transmit(capdu: Uint8Array): Uint8Array;
}

export type VpcdServerEvent =
  | { kind: 'connected'; address: string }
  | { kind: 'disconnected'; address: string; reason: string }
  | { kind: 'retrying'; address: string; delayMs: number; reason: string }
  | { kind: 'power-loss'; message: string }
  | { kind: 'card-error'; message: string };

export interface VpcdServeOptions {
  /** The vpcd driver's address; connect to loopback only (the driver listens on every address). */
  host?: string;
  /** 35963 for vpcd slot 0 (`Virtual PCD 00 00`), 35964 for slot 1. */
  port?: number;
  /**
   * A unix socket instead of host and port: the forwarder into a private pcscd's network namespace
   * (`startPrivatePcscd`), for a card served from outside that namespace.
   */
  path?: string;
  /** Reconnect with backoff when the connection drops or is refused (pcscd restarting). Default true. */
  reconnect?: boolean;
  /** First and largest delay between reconnection attempts (ms). Default 100 → 2000. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Called after every C-APDU the card answered. */
  onExchange?: (command: Uint8Array, response: Uint8Array) => void;
  /** Connection and fault events, for logs. */
  onEvent?: (event: VpcdServerEvent) => void;
}

export interface VpcdCardServer {
  /** `host:port` of the driver (or the unix socket's path). */
  readonly address: string;
  /** True while connected to the driver, i.e. while the reader reports the card present. */
  readonly connected: boolean;
  /** Resolves at the next established connection; rejects NO_DAEMON without `reconnect`, TIMEOUT after `timeoutMs`. */
  whenConnected(timeoutMs?: number): Promise<void>;
  /** Inserts the card: connects (again) after `remove()`. */
  insert(): void;
  /** Pulls the card out: disconnects and stays out until `insert()`. Power is cut. */
  remove(): Promise<void>;
  /** Disconnects for good; the card is powered off and left to the caller (to save it). */
  stop(): Promise<void>;
}

const SW_WRONG_LENGTH = Uint8Array.of(0x67, 0x00);
const SW_NO_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

/**
 * Serves a card to the system's PC/SC daemon through vsmartcard's vpcd driver: we are the TCP client;
 * while connected the reader `Virtual PCD 00 0n` holds a card. Control messages (power off/on, reset,
 * ATR) are answered at once, powered or not — pcscd polls the ATR about every 400 ms and freezes the
 * reader for every client when the answer is late. Every C-APDU gets a non-empty answer (vpcd has no
 * timeout); when the card loses power mid-command it goes mute, which over vpcd is a disconnection.
 */
export function serveCardOverVpcd(card: ServedCard, options: VpcdServeOptions = {}): VpcdCardServer {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 35963;
  const address = options.path ?? `${host}:${port}`;
  const reconnect = options.reconnect ?? true;
  const initialDelay = options.backoff?.initialMs ?? 100;
  const maxDelay = options.backoff?.maxMs ?? 2000;
  const emit = options.onEvent ?? (() => {});

  let socket: Socket | undefined;
  let connected = false;
  let inserted = true;
  let stopped = false;
  let delay = initialDelay;
  let retryTimer: NodeJS.Timeout | undefined;
  let lastFailure: ReaderError | undefined;
  /** Why we are closing the line ourselves, if we are. */
  let closing: string | undefined;
  let waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  const settleWaiters = (error?: Error) => {
    const ws = waiters;
    waiters = [];
    for (const w of ws) error ? w.reject(error) : w.resolve();
  };

  /** Answers one frame from the driver; undefined = no answer (power on/off/reset), 'mute' = drop the line. */
  const answer = (frame: Uint8Array): Uint8Array | undefined | 'mute' => {
    if (frame.length === 1) {
      try {
        return control(frame[0]!);
      } catch (err) {
        // A power-up that fails (a broken card image) leaves the card mute, like a dead chip.
        emit({ kind: 'card-error', message: (err as Error).message });
        return frame[0] === VPCD_CONTROL.GET_ATR ? card.profile.atr : undefined;
      }
    }
    try {
      const response = card.transmit(frame);
      options.onExchange?.(frame, response);
      if (response.length === 0) return SW_NO_DIAGNOSIS;
      if (response.length > MAX_FRAME_PAYLOAD) {
        emit({ kind: 'card-error', message: `a ${response.length}-byte response does not fit a vpcd frame (answered 6F00)` });
        return SW_NO_DIAGNOSIS;
      }
      return response;
    } catch (err) {
      if (err instanceof CardError) {
        // Power lost mid-command, or no power at all: the card is mute. vpcd would wait forever for an
        // answer, so the only honest signal is to leave the reader: the card was removed.
        emit({ kind: 'power-loss', message: err.message });
        return 'mute';
      }
      emit({ kind: 'card-error', message: (err as Error).message });
      return SW_NO_DIAGNOSIS;
    }
  };

  /** The driver's 1-byte control messages; only GET ATR is answered. */
  const control = (message: number): Uint8Array | undefined => {
    switch (message) {
      case VPCD_CONTROL.GET_ATR:
        return card.profile.atr;
      case VPCD_CONTROL.POWER_ON:
        card.powerOn();
        return undefined;
      case VPCD_CONTROL.POWER_OFF:
        card.powerOff();
        return undefined;
      case VPCD_CONTROL.RESET:
        card.reset();
        return undefined;
      default:
        // Not a control message vpcd sends, so a client's 1-byte APDU that vpcd awaits an answer to.
        return SW_WRONG_LENGTH;
    }
  };

  const scheduleReconnect = (reason: string) => {
    if (stopped || !inserted) return;
    if (!reconnect) {
      lastFailure = new ReaderError('NO_DAEMON', `vpcd at ${address} is not reachable (${reason}): start pcscd with vsmartcard-vpcd installed (apt-get install pcscd vsmartcard-vpcd)`);
      settleWaiters(lastFailure);
      return;
    }
    emit({ kind: 'retrying', address, delayMs: delay, reason });
    retryTimer = setTimeout(open, delay);
    delay = Math.min(delay * 2, maxDelay);
  };

  function open(): void {
    retryTimer = undefined;
    if (stopped || !inserted || socket) return;
    const decoder = new FrameDecoder();
    const s = options.path ? connect({ path: options.path }) : connect({ host, port });
    socket = s;
    if (!options.path) s.setNoDelay(true);
    let failure = 'connection closed by the driver';
    s.on('connect', () => {
      connected = true;
      delay = initialDelay;
      lastFailure = undefined;
      emit({ kind: 'connected', address });
      settleWaiters();
    });
    s.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const reply = answer(frame);
        if (reply === 'mute') {
          failure = 'the card went mute (power loss)';
          card.powerOff();
          s.destroy();
          return;
        }
        if (reply) s.write(encodeFrame(reply));
      }
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      failure = err.code ?? err.message;
    });
    s.on('close', () => {
      const was = connected;
      connected = false;
      if (socket === s) socket = undefined;
      // Leaving the reader cuts the card's power.
      card.powerOff();
      if (was) emit({ kind: 'disconnected', address, reason: closing ?? failure });
      closing = undefined;
      scheduleReconnect(failure);
    });
  }

  const closeSocket = async (reason: string) => {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    const s = socket;
    if (!s) return;
    closing = reason;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  };

  open();

  return {
    address,
    get connected() {
      return connected;
    },
    whenConnected(timeoutMs = 10_000) {
      if (connected) return Promise.resolve();
      if (lastFailure) return Promise.reject(lastFailure);
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new ReaderError('TIMEOUT', `no connection to vpcd at ${address} within ${timeoutMs} ms: is pcscd running with vsmartcard-vpcd installed?`));
        }, timeoutMs);
        const waiter = {
          resolve: () => (clearTimeout(timer), resolve()),
          reject: (e: Error) => (clearTimeout(timer), reject(e)),
        };
        waiters.push(waiter);
      });
    },
    insert() {
      if (stopped) throw new ReaderError('TRANSPORT', `the vpcd server for ${address} is stopped`);
      inserted = true;
      delay = initialDelay;
      lastFailure = undefined;
      if (!socket && !retryTimer) open();
    },
    async remove() {
      inserted = false;
      await closeSocket('the card was removed');
      card.powerOff();
    },
    async stop() {
      stopped = true;
      await closeSocket('the server was stopped');
      card.powerOff();
      settleWaiters(new ReaderError('TRANSPORT', `the vpcd server for ${address} was stopped`));
    },
  };
}
