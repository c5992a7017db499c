import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { systemRandom, type RandomSource } from '../protocol/crypto/index.ts';
import { ensurePrivateDir, loadDataKeys, writePrivateFileAtomic, type SecretBox } from '../protocol/secrets/index.ts';
import { isPostgresUrl } from './db/index.ts';
import { createLogger, listen, statusFetch, type Listening, type Logger } from './http/index.ts';
import { systemClock, type Clock } from './ids.ts';
import { createIssuerApp } from './issuer/app.ts';
import { loadOrCreateIssuerKeys } from './issuer/ca/issuer-keys.ts';
import type { IssuerDeps } from './issuer/issuer-deps.ts';
import { OutboxWorker } from './issuer/outbox/outbox-worker.ts';
import { registerProvider } from './issuer/routes/admin-routes.ts';
import type { IssuerStore } from './issuer/store/issuer-store.ts';
import { PgIssuerStore } from './issuer/store/pg-issuer-store.ts';
import { SqliteIssuerStore } from './issuer/store/sqlite-issuer-store.ts';
import { createProviderApp, type ProviderDeps } from './provider/app.ts';
import { PgProviderStore } from './provider/store/pg-provider-store.ts';
import type { ProviderStore } from './provider/store/provider-store.ts';
import { SqliteProviderStore } from './provider/store/sqlite-provider-store.ts';

export interface ServeOptions {
  /** Data directory (databases, CA and DAP keys, secrets); created if missing. */
  dataDir: string;
  issuerPort?: number;
  providerPort?: number;
  host?: string;
  logger?: Logger;
  random?: RandomSource;
  clock?: Clock;
  /** The provider's own random source (default: `random`); separate streams keep seeded runs reproducible. */
  providerRandom?: RandomSource;
  /** The keyring sealing secrets at rest (default: CARDLAB_DATA_KEY, else `<dataDir>/keys/data-keys.json`). */
  dataKeys?: SecretBox;
  /** Outbox retry timing (tests shorten it), and its own random source and clock if given. */
  outbox?: { baseDelayMs?: number; pollMs?: number; random?: RandomSource; clock?: Clock };
  /**
   * A PostgreSQL database (`postgres://user@host:port/db`) for both stores instead of the embedded
   * SQLite files: the issuer's tables in schema `issuer`, the provider's in `provider`. Key files and
   * secrets stay in the data directory (every instance on one database needs the same ones).
   */
  database?: string;
}

/** Both servers running on one data directory (the stores: SQLite unless `database` named PostgreSQL). */
export interface RunningServers<I extends IssuerStore = SqliteIssuerStore, P extends ProviderStore = SqliteProviderStore> {
  issuerUrl: string;
  providerUrl: string;
  issuer: { deps: IssuerDeps; store: I; listening: Listening; outbox: OutboxWorker };
  provider: { deps: ProviderDeps; store: P; listening: Listening };
  /** Local secrets of this data directory (admin tokens) — for the CLI, never logged. */
  secrets: LocalSecrets;
  close(): Promise<void>;
}

/** The keyring and local secrets of a data directory, created on first use (what `startServers` opens; an issuer-only process opens the same). */
export function openDataDir(dataDir: string, random: RandomSource, dataKeys?: SecretBox): { box: SecretBox; secrets: LocalSecrets } {
  ensurePrivateDir(dataDir);
  // The data keyring seals every secret at rest: CARDLAB_DATA_KEY, else keys/data-keys.json (0600).
  const box = dataKeys ?? loadDataKeys({ dir: join(dataDir, 'keys'), random });
  return { box, secrets: localSecrets(dataDir, random, box).secrets };
}

export interface LocalSecrets {
  adminToken: string;
  providerId: string;
  providerSecret: string;
}

const PROVIDER_ID = 'cardlab-provider';

/**
 * Secrets of a data directory, created on first start: `secrets.json` (0600) holds them sealed with
 * the data keyring (`{ "sealed": base64 }`); a plain file of an earlier version is read and re-sealed.
 */
function localSecrets(dataDir: string, random: RandomSource, box: SecretBox): { secrets: LocalSecrets; created: boolean } {
  const path = join(dataDir, 'secrets.json');
  const save = (s: LocalSecrets) =>
    writePrivateFileAtomic(path, `${JSON.stringify({ sealed: Buffer.from(box.seal(Buffer.from(JSON.stringify(s)), 'secrets.json')).toString('base64') })}\n`);
  if (existsSync(path)) {
    const file = JSON.parse(readFileSync(path, 'utf8')) as LocalSecrets | { sealed: string };
    if (!('sealed' in file)) {
      save(file);
      return { secrets: file, created: false };
    }
    const secrets = JSON.parse(Buffer.from(box.open(new Uint8Array(Buffer.from(file.sealed, 'base64')), 'secrets.json')).toString('utf8')) as LocalSecrets;
    return { secrets, created: false };
  }
  const secrets: LocalSecrets = { adminToken: toHex(random.bytes(24)).toLowerCase(), providerId: PROVIDER_ID, providerSecret: toHex(random.bytes(32)) };
  save(secrets);
  return { secrets, created: true };
}

/** The two stores: embedded SQLite files in the data directory, or one PostgreSQL database (schemas `issuer` and `provider`). */
async function openStores(dataDir: string, box: SecretBox, database: string | undefined): Promise<{ issuerStore: IssuerStore; providerStore: ProviderStore }> {
  if (database === undefined) {
    return { issuerStore: new SqliteIssuerStore(join(dataDir, 'issuer', 'issuer.db'), { secrets: box }), providerStore: new SqliteProviderStore(join(dataDir, 'provider', 'provider.db')) };
  }
  if (!isPostgresUrl(database)) throw new Error(`database must be a postgres:// or postgresql:// URL, got '${database.replace(/\/\/[^@/]*@/, '//…@')}'`);
  const issuerStore = await PgIssuerStore.open(database, { secrets: box });
  try {
    return { issuerStore, providerStore: await PgProviderStore.open(database) };
  } catch (err) {
    await issuerStore.close();
    throw err;
  }
}

/**
 * Starts the issuer and the provider on one data directory (`cardlab serve`): embedded SQLite
 * databases (`issuer/issuer.db`, `provider/provider.db`) or one PostgreSQL database (`database`), the issuer's CA and DAP keys
 * (`issuer/keys/`) and the provider's shared secret, all created on first start; the provider is
 * registered with the issuer and its notification URL kept current; the outbox worker runs.
 * Port 0 picks free ports. Demo data is the caller's (scenarios/cli/commands/serve.ts).
 */
export async function startServers(options: ServeOptions & { database?: undefined }): Promise<RunningServers>;
export async function startServers(options: ServeOptions): Promise<RunningServers<IssuerStore, ProviderStore>>;
export async function startServers(options: ServeOptions): Promise<RunningServers<IssuerStore, ProviderStore>> {
  const dataDir = resolve(options.dataDir);
  ensurePrivateDir(dataDir);
  ensurePrivateDir(join(dataDir, 'issuer'));
  ensurePrivateDir(join(dataDir, 'provider'));
  const random = options.random ?? systemRandom();
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ name: 'cardlab' });
  const host = options.host ?? '127.0.0.1';
  const { box, secrets } = openDataDir(dataDir, random, options.dataKeys);

  const keys = await loadOrCreateIssuerKeys(join(dataDir, 'issuer', 'keys'), random, box);
  const { issuerStore, providerStore } = await openStores(dataDir, box, options.database);
  const issuerLogger = logger.child({ server: 'issuer' });
  const outbox = new OutboxWorker({
    store: issuerStore,
    logger: issuerLogger.child({ part: 'outbox' }),
    clock: options.outbox?.clock ?? clock,
    random: options.outbox?.random ?? random,
    ...(options.outbox?.baseDelayMs !== undefined ? { baseDelayMs: options.outbox.baseDelayMs } : {}),
    ...(options.outbox?.pollMs !== undefined ? { pollMs: options.outbox.pollMs } : {}),
    // Notifications need only the provider's status: node:http, not the global fetch's web streams.
    fetch: statusFetch,
  });
  const issuerDeps: IssuerDeps = {
    store: issuerStore,
    keys,
    adminToken: secrets.adminToken,
    logger: issuerLogger,
    random,
    clock,
    onNotificationQueued: () => outbox.wake(),
    // On a shared database, any instance continues a SERAM session another started.
    ...(options.database !== undefined ? { sharedSessions: true } : {}),
  };
  const providerDeps: ProviderDeps = {
    store: providerStore,
    providerId: secrets.providerId,
    issuerSecret: fromHex(secrets.providerSecret),
    adminToken: secrets.adminToken,
    logger: logger.child({ server: 'provider' }),
    random: options.providerRandom ?? random,
    clock,
  };

  const issuerListening = await listen(createIssuerApp(issuerDeps), options.issuerPort ?? 0, host);
  const providerListening = await listen(createProviderApp(providerDeps), options.providerPort ?? 0, host);
  const notificationUrl = `${providerListening.url}/notifications`;
  if (await issuerStore.getProvider(secrets.providerId)) await issuerStore.setProviderNotificationUrl(secrets.providerId, notificationUrl);
  else await registerProvider(issuerDeps, { id: secrets.providerId, name: 'cardlab demo provider', notificationUrl, hmacSecret: secrets.providerSecret });
  outbox.start();

  let closed = false;
  return {
    issuerUrl: issuerListening.url,
    providerUrl: providerListening.url,
    issuer: { deps: issuerDeps, store: issuerStore, listening: issuerListening, outbox },
    provider: { deps: providerDeps, store: providerStore, listening: providerListening },
    secrets,
    async close() {
      if (closed) return;
      closed = true;
      await outbox.stop();
      await Promise.all([issuerListening.close(), providerListening.close()]);
      await issuerStore.close();
      await providerStore.close();
    },
  };
}
