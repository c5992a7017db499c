/**
 * One reader, many transports: the in-process card, a vpcd-served card seen through pcscd, a real PC/SC
 * reader, or a recorded trace. A terminal knows a `Reader`, never which of these it holds.
 */
export interface Reader {
  /** The reader's name as its transport knows it (`sim`, `Virtual PCD 00 00`, a PC/SC reader name, `replay`). */
  readonly name: string;
  /** Cold power-up of the card in the reader (PC/SC: connect); resolves to the ATR. */
  powerOn(): Promise<Uint8Array>;
  /** Sends one C-APDU and resolves to the R-APDU (data ‖ SW1 SW2). */
  transmit(capdu: Uint8Array): Promise<Uint8Array>;
  /** Removes power from the card (PC/SC: disconnect with SCARD_UNPOWER_CARD). */
  powerOff(): Promise<void>;
  /** Warm reset; resolves to the ATR. */
  reset(): Promise<Uint8Array>;
  isCardPresent(): boolean;
  /** Subscribes to card insertion/removal; returns the unsubscribe function. */
  on(event: ReaderEvent, fn: () => void): () => void;
  /** Releases the transport (sockets, PC/SC context, monitors). The reader is unusable afterwards. */
  close(): Promise<void>;
}

export type ReaderEvent = 'card-inserted' | 'card-removed';

export type ReaderErrorCode =
  | 'NO_DAEMON'
  | 'NO_LIBRARY'
  | 'NO_READER'
  | 'NO_CARD'
  | 'CARD_REMOVED'
  | 'POWER_LOSS'
  | 'TIMEOUT'
  | 'REPLAY_DIVERGED'
  | 'TRANSPORT';

/** The one error every reader throws: a closed `code` and a message that says what to do about it. */
export class ReaderError extends Error {
  override readonly name = 'ReaderError';
  constructor(
    readonly code: ReaderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The listener registry every reader shares for `card-inserted` / `card-removed`. */
export class ReaderEvents {
  private readonly listeners: Record<ReaderEvent, Set<() => void>> = { 'card-inserted': new Set(), 'card-removed': new Set() };

  on(event: ReaderEvent, fn: () => void): () => void {
    this.listeners[event].add(fn);
    return () => this.listeners[event].delete(fn);
  }

  emit(event: ReaderEvent): void {
    for (const fn of [...this.listeners[event]]) fn();
  }

  clear(): void {
    this.listeners['card-inserted'].clear();
    this.listeners['card-removed'].clear();
  }
}

/** Rejects with ReaderError TIMEOUT when `promise` has not settled within `ms` (a reader must never hang). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReaderError('TIMEOUT', `${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
