import type { RandomSource } from '../../protocol/crypto/index.ts';
import type { Logger } from '../http/index.ts';
import type { Clock } from '../ids.ts';
import type { ProviderStore } from './store/provider-store.ts';

/** What the provider app is built from; it opens no port, file or socket of its own. */
export interface ProviderDeps {
  store: ProviderStore;
  /** This provider's id at the issuer. */
  providerId: string;
  /** Secret shared with the issuer: notification HMACs and request authorisations. */
  issuerSecret: Uint8Array;
  adminToken: string;
  logger: Logger;
  random: RandomSource;
  clock: Clock;
  /** Lifetime of an application request (seconds, default 300). */
  requestLifetimeSeconds?: number;
  /** Lifetime of a start request the card signs (seconds, default 300). */
  startRequestLifetimeSeconds?: number;
}

export const DEFAULTS = { requestLifetimeSeconds: 300, startRequestLifetimeSeconds: 300 } as const;
