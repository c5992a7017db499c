import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { systemRandom, type RandomSource } from '../protocol/crypto/index.ts';
import { ensurePrivateDir, loadDataKeys, writePrivateFileAtomic, type SecretBox } from '../protocol/secrets/index.ts';
import { isPostgresUrl } from './db/index.ts';
import { createLogger, listen, statusFetch, type Listening, type Logger } from './http/index.ts';
import { systemClock, type Clock } from './ids.ts';
import { createIssuerApp } from './issuer/app.ts';
import { loadOrCreateIssuerKeys, type IssuerKeys } from './issuer/ca/issuer-keys.ts';
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
  /**
   * Outbox retry timing (tests shorten it), and its own random source and clock if given. `claimMs`
   * (PostgreSQL only, default 60 s): how long a notification an instance claimed is kept from the others —
   * when that instance dies before recording the outcome, another sends it after this.
   */
  outbox?: { baseDelayMs?: number; pollMs?: number; claimMs?: number; random?: RandomSource; clock?: Clock };
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
async function openStores(dataDir: string, box: SecretBox, database: string | undefined, claimMs?: number): Promise<{ issuerStore: IssuerStore; providerStore: ProviderStore }> {
  if (database === undefined) {
    return { issuerStore: new SqliteIssuerStore(join(dataDir, 'issuer', 'issuer.db'), { secrets: box }), providerStore: new SqliteProviderStore(join(dataDir, 'provider', 'provider.db')) };
  }
  if (!isPostgresUrl(database)) throw new Error(`database must be a postgres:// or postgresql:// URL, got '${database.replace(/\/\/[^@/]*@/, '//…@')}'`);
  const issuerStore = await PgIssuerStore.open(database, { secrets: box, ...(claimMs !== undefined ? { claimMs } : {}) });
  try {
    return { issuerStore, providerStore: await PgProviderStore.open(database) };
  } catch (err) {
    await issuerStore.close();
    throw err;
  }
}

/** What every kind of start opens first: the data directory, its keyring and secrets, the issuer's keys. */
interface Opened {
  dataDir: string;
  random: RandomSource;
  clock: Clock;
  logger: Logger;
  host: string;
  box: SecretBox;
  secrets: LocalSecrets;
  keys: IssuerKeys;
}

async function openInstance(options: ServeOptions): Promise<Opened> {
  const dataDir = resolve(options.dataDir);
  ensurePrivateDir(dataDir);
  ensurePrivateDir(join(dataDir, 'issuer'));
  ensurePrivateDir(join(dataDir, 'provider'));
  const random = options.random ?? systemRandom();
  const { box, secrets } = openDataDir(dataDir, random, options.dataKeys);
  const keys = await loadOrCreateIssuerKeys(join(dataDir, 'issuer', 'keys'), random, box);
  return { dataDir, random, clock: options.clock ?? systemClock, logger: options.logger ?? createLogger({ name: 'cardlab' }), host: options.host ?? '127.0.0.1', box, secrets, keys };
}

/** The issuer's dependencies and its outbox worker (started by the caller, once the issuer listens). */
function wireIssuer(o: Opened, options: ServeOptions, store: IssuerStore): { deps: IssuerDeps; outbox: OutboxWorker } {
  const logger = o.logger.child({ server: 'issuer' });
  const outbox = new OutboxWorker({
    store,
    logger: logger.child({ part: 'outbox' }),
    clock: options.outbox?.clock ?? o.clock,
    random: options.outbox?.random ?? o.random,
    ...(options.outbox?.baseDelayMs !== undefined ? { baseDelayMs: options.outbox.baseDelayMs } : {}),
    ...(options.outbox?.pollMs !== undefined ? { pollMs: options.outbox.pollMs } : {}),
    // Notifications need only the provider's status: node:http, not the global fetch's web streams.
    fetch: statusFetch,
  });
  const deps: IssuerDeps = {
    store,
    keys: o.keys,
    adminToken: o.secrets.adminToken,
    logger,
    random: o.random,
    clock: o.clock,
    onNotificationQueued: () => outbox.wake(),
    // On a shared database, any instance continues a SERAM session another started.
    ...(options.database !== undefined ? { sharedSessions: true } : {}),
  };
  return { deps, outbox };
}

function wireProvider(o: Opened, options: ServeOptions, store: ProviderStore): ProviderDeps {
  return {
    store,
    providerId: o.secrets.providerId,
    issuerSecret: fromHex(o.secrets.providerSecret),
    adminToken: o.secrets.adminToken,
    logger: o.logger.child({ server: 'provider' }),
    random: options.providerRandom ?? o.random,
    clock: o.clock,
  };
}

/** Registers the data directory's provider with the issuer on first start, or points the issuer at where it listens now. */
async function registerWithIssuer(issuer: IssuerDeps, secrets: LocalSecrets, providerUrl: string): Promise<void> {
  const notificationUrl = `${providerUrl}/notifications`;
  if (await issuer.store.getProvider(secrets.providerId)) await issuer.store.setProviderNotificationUrl(secrets.providerId, notificationUrl);
  else await registerProvider(issuer, { id: secrets.providerId, name: 'cardlab demo provider', notificationUrl, hmacSecret: secrets.providerSecret });
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
  const o = await openInstance(options);
  const { issuerStore, providerStore } = await openStores(o.dataDir, o.box, options.database, options.outbox?.claimMs);
  const { deps: issuerDeps, outbox } = wireIssuer(o, options, issuerStore);
  const providerDeps = wireProvider(o, options, providerStore);

  const issuerListening = await listen(createIssuerApp(issuerDeps), options.issuerPort ?? 0, o.host);
  const providerListening = await listen(createProviderApp(providerDeps), options.providerPort ?? 0, o.host);
  await registerWithIssuer(issuerDeps, o.secrets, providerListening.url);
  outbox.start();

  let closed = false;
  return {
    issuerUrl: issuerListening.url,
    providerUrl: providerListening.url,
    issuer: { deps: issuerDeps, store: issuerStore, listening: issuerListening, outbox },
    provider: { deps: providerDeps, store: providerStore, listening: providerListening },
    secrets: o.secrets,
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

/** One issuer instance of several on one data directory and one PostgreSQL database (`cardlab serve --issuer-only`). */
export interface RunningIssuer {
  issuerUrl: string;
  issuer: { deps: IssuerDeps; store: IssuerStore; listening: Listening; outbox: OutboxWorker };
  close(): Promise<void>;
}

/** The provider instance that also initialises the data directory and the database (`cardlab serve --provider-only`). */
export interface RunningProvider {
  providerUrl: string;
  provider: { deps: ProviderDeps; store: ProviderStore; listening: Listening };
  /** The issuer's store and deps, not served: for the provider's registration and the demo data. */
  issuer: { deps: IssuerDeps; store: IssuerStore };
  secrets: LocalSecrets;
  close(): Promise<void>;
}

const requireDatabase = (options: ServeOptions, what: string): string => {
  if (options.database === undefined || !isPostgresUrl(options.database)) throw new Error(`${what} needs a PostgreSQL database (postgres://…): instances share it, the SQLite files are one process's`);
  return options.database;
};

/**
 * The provider alone, as the first process of several on one data directory and one PostgreSQL
 * database: it creates what every instance shares (data keyring, `secrets.json`, the issuer's key
 * files, the schemas) and registers the provider with the issuer, but serves only the provider;
 * issuer instances (`startIssuerInstance`) start after it, on the same data directory. The issuer's
 * deps are returned for the demo data, which only this process creates.
 */
export async function startProviderInstance(options: ServeOptions): Promise<RunningProvider> {
  const database = requireDatabase(options, 'a provider instance');
  const o = await openInstance(options);
  const { issuerStore, providerStore } = await openStores(o.dataDir, o.box, database, options.outbox?.claimMs);
  const { deps: issuerDeps } = wireIssuer(o, options, issuerStore);
  const providerDeps = wireProvider(o, options, providerStore);
  const listening = await listen(createProviderApp(providerDeps), options.providerPort ?? 0, o.host);
  await registerWithIssuer(issuerDeps, o.secrets, listening.url);
  let closed = false;
  return {
    providerUrl: listening.url,
    provider: { deps: providerDeps, store: providerStore, listening },
    issuer: { deps: issuerDeps, store: issuerStore },
    secrets: o.secrets,
    async close() {
      if (closed) return;
      closed = true;
      await listening.close();
      await issuerStore.close();
      await providerStore.close();
    },
  };
}

/**
 * One issuer instance (with its outbox worker) on a data directory and PostgreSQL database a provider
 * instance or a full `startServers` already initialised: it creates nothing shared (no keys, no secrets, no
 * registration, no demo data), so any number may start at once; on an uninitialised one it refuses to start.
 */
export async function startIssuerInstance(options: ServeOptions): Promise<RunningIssuer> {
  const database = requireDatabase(options, 'an issuer instance');
  const dataDir = resolve(options.dataDir);
  const notReady = `the data directory ${dataDir} is not initialised: start the provider instance (cardlab serve --provider-only) or a full cardlab serve on it and this database first`;
  if (!existsSync(join(dataDir, 'secrets.json')) || !existsSync(join(dataDir, 'issuer', 'keys'))) throw new Error(notReady);
  const o = await openInstance(options);
  const store = await PgIssuerStore.open(database, { secrets: o.box, ...(options.outbox?.claimMs !== undefined ? { claimMs: options.outbox.claimMs } : {}) });
  try {
    if (!(await store.getProvider(o.secrets.providerId))) throw new Error(notReady);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { deps, outbox } = wireIssuer(o, options, store);
  const listening = await listen(createIssuerApp(deps), options.issuerPort ?? 0, o.host);
  outbox.start();
  let closed = false;
  return {
    issuerUrl: listening.url,
    issuer: { deps, store, listening, outbox },
    async close() {
      if (closed) return;
      closed = true;
      await outbox.stop();
      await listening.close();
      await store.close();
    },
  };
}
