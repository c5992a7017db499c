import type { RandomSource } from '../../protocol/crypto/index.ts';
import type { Logger } from '../http/index.ts';
import type { Clock } from '../ids.ts';
import type { IssuerKeys } from './ca/issuer-keys.ts';
import type { IssuerStore } from './store/issuer-store.ts';

/** What the issuer app is built from; it opens no port, file or socket of its own. */
export interface IssuerDeps {
  store: IssuerStore;
  keys: IssuerKeys;
  /** Bearer token of the admin endpoints. */
  adminToken: string;
  logger: Logger;
  random: RandomSource;
  clock: Clock;
  /** SCP03 security level of remote management (default 33: C-DEC, C-MAC, R-ENC, R-MAC). */
  securityLevel?: number;
  /** A request may not live longer than this (seconds, default 600): bounds how long a nonce must be remembered as fresh. */
  maxRequestLifetimeSeconds?: number;
  /** A SERAM session unused for this long is dropped (ms, default 10 minutes). */
  sessionIdleMs?: number;
  /**
   * SERAM sessions kept in the store (sealed) instead of this process's memory, so that any of several
   * issuer instances over one database continues a session another started (default false).
   */
  sharedSessions?: boolean;
  /** Body limit of CAP uploads (bytes, default 1 MiB); every other body is limited to 64 KiB. */
  capBodyLimit?: number;
  /** Called after a confirmation wrote a provider notification to the outbox (wakes the worker). */
  onNotificationQueued?: () => void | Promise<void>;
  /**
   * How long the final SERAM answer waits for the provider notification's first attempt (ms, default
   * 2000): the terminal then starts the service without waiting for the provider to hear of it.
   */
  notificationWaitMs?: number;
}

export const DEFAULTS = {
  securityLevel: 0x33,
  maxRequestLifetimeSeconds: 600,
  sessionIdleMs: 10 * 60_000,
  capBodyLimit: 1024 * 1024,
} as const;
