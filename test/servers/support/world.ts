import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { buildCap } from '../../../protocol/cap/index.ts';
import { generateEcKeyPair, seededRandom, type RandomSource } from '../../../protocol/crypto/index.ts';
import { buildComputeDigitalSignature, buildGetData, buildSelect } from '../../../protocol/gp/commands/index.ts';
import { parseSingleTlv } from '../../../protocol/tlv/index.ts';
import { SecretBox } from '../../../protocol/secrets/index.ts';
import {
  createIssuerApp,
  createIssuerKeys,
  createLogger,
  createProviderApp,
  listen,
  OutboxWorker,
  SqliteIssuerStore,
  SqliteProviderStore,
  type IssuerDeps,
  type IssuerKeys,
  type Listening,
  type ProviderDeps,
} from '../../../servers/index.ts';
import { createCard, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, type Card, type CardProfileInput } from '../../../simulator/index.ts';
import { runLocalAgent, type LocalAgentResult } from './local-agent.ts';

export const ADMIN_TOKEN = 'test-admin-token';
/** The data keyring of test stores (sealing card keys and provider secrets). */
export const TEST_DATA_KEYS = new SecretBox([{ id: 'test', key: new Uint8Array(32).fill(7) }]);

/** Puts the keys the issuer derived for a card (its registration answer) into the simulated card. */
export function personaliseKeys(card: Card, keys: { kvn: number; enc: string; mac: string; dek: string }): void {
  card.installKeys({ kvn: keys.kvn, enc: fromHex(keys.enc), mac: fromHex(keys.mac), dek: fromHex(keys.dek) });
}
export const PROVIDER_ID = 'acme-loyalty';
export const PROVIDER_SECRET = '00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF';
export const SERVICE_ID = 'loyalty-gold';
export const INSTANCE_AID = toHex(LOYALTY_APPLET_AID);

let issuerKeys: Promise<IssuerKeys> | undefined;
/** The issuer's CA and DAP key, made once per test file (X.509 generation is the slow part). */
export function testIssuerKeys(): Promise<IssuerKeys> {
  issuerKeys ??= createIssuerKeys(seededRandom('test-issuer-keys'));
  return issuerKeys;
}

export interface HttpAnswer<T = any> {
  status: number;
  body: T;
}

/** JSON over real HTTP; `raw` sends the string as is. */
export async function http<T = any>(
  base: string,
  path: string,
  o: { method?: string; body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const r = await fetch(`${base}${path}`, { method: o.method ?? (o.body !== undefined || o.raw !== undefined ? 'POST' : 'GET'), headers, body: o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined) });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: r.status, body: body as T };
}

export interface WorldOptions {
  securityLevel?: number;
  /** Issuer database file (default `:memory:`). */
  issuerDb?: string;
  /** Extra card profile fields (memory, receipts, …). */
  cardProfile?: CardProfileInput;
  /** The DAP key the card verifies with: the issuer's (default) or a foreign one (the card then refuses the DAP). */
  cardDapKey?: 'issuer' | 'foreign';
  cardSeed?: number;
  codeSize?: number;
  /** Where the servers' logs go (at `logLevel`, default debug); default: nowhere. */
  logStream?: NodeJS.WritableStream;
  logLevel?: string;
  /** The servers' clock from the start, registration included (default: the wall clock at start). */
  now?: number;
}

/** Two servers, a registered card in a simulated reader, a provider with a loyalty service: the whole S0 setup. */
export interface World {
  clock: { now: number };
  random: RandomSource;
  keys: IssuerKeys;
  issuerUrl: string;
  providerUrl: string;
  issuer: { deps: IssuerDeps; store: SqliteIssuerStore; listening: Listening };
  provider: { deps: ProviderDeps; store: SqliteProviderStore; listening: Listening };
  outbox: OutboxWorker;
  card: Card;
  cardId: string;
  cin: string;
  iin: string;
  close(): Promise<void>;
}

export async function startWorld(o: WorldOptions = {}): Promise<World> {
  const clock = { now: o.now ?? Date.now() };
  const now = () => clock.now;
  const random = seededRandom(`world-${o.cardSeed ?? 1}`);
  const keys = await testIssuerKeys();
  const logger = o.logStream ? createLogger({ name: 'test', level: o.logLevel ?? 'debug', destination: o.logStream }) : createLogger({ name: 'test', level: 'silent' });

  const issuerStore = new SqliteIssuerStore(o.issuerDb ?? ':memory:', { secrets: TEST_DATA_KEYS });
  const outbox = new OutboxWorker({ store: issuerStore, logger, clock: now, random, baseDelayMs: 50, pollMs: 50 });
  const issuerDeps: IssuerDeps = {
    store: issuerStore,
    keys,
    adminToken: ADMIN_TOKEN,
    logger,
    random,
    clock: now,
    ...(o.securityLevel !== undefined ? { securityLevel: o.securityLevel } : {}),
  };
  const providerStore = new SqliteProviderStore(':memory:');
  const providerDeps: ProviderDeps = { store: providerStore, providerId: PROVIDER_ID, issuerSecret: fromHex(PROVIDER_SECRET), adminToken: ADMIN_TOKEN, logger, random, clock: now };
  const issuerListening = await listen(createIssuerApp(issuerDeps));
  const providerListening = await listen(createProviderApp(providerDeps));
  const issuerUrl = issuerListening.url;
  const providerUrl = providerListening.url;

  const ok = (r: HttpAnswer, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  ok(await http(issuerUrl, '/admin/providers', { token: ADMIN_TOKEN, body: { id: PROVIDER_ID, name: 'ACME Loyalty', notificationUrl: `${providerUrl}/notifications`, hmacSecret: PROVIDER_SECRET } }), 'provider');

  const dapPublicKey = o.cardDapKey === 'foreign' ? generateEcKeyPair('P-256', seededRandom('foreign-dap')).publicKey : keys.dap.publicKey;
  const { card, cin, iin, cardId } = await registerSimulatedCard(issuerUrl, dapPublicKey, { seed: o.cardSeed ?? 1, ...(o.cardProfile ? { profile: o.cardProfile } : {}) });

  const cap = buildCap({ packageAid: LOYALTY_PACKAGE_AID, appletAids: [LOYALTY_APPLET_AID], codeSize: o.codeSize ?? 1024 });
  ok(await http(issuerUrl, '/admin/applications', { token: ADMIN_TOKEN, body: { providerId: PROVIDER_ID, name: 'Loyalty', cap: Buffer.from(cap).toString('base64') } }), 'application');
  ok(
    await http(providerUrl, '/admin/services', {
      token: ADMIN_TOKEN,
      body: {
        id: SERVICE_ID,
        name: 'Gold loyalty',
        description: 'Points on every purchase',
        packageAid: toHex(LOYALTY_PACKAGE_AID),
        appletAid: toHex(LOYALTY_APPLET_AID),
        // SELECT as it is; the 100 points as CREDIT [once] with the member's own transaction id.
        startCommands: [toHex(buildSelect(LOYALTY_APPLET_AID))],
        openingCredit: 100,
      },
    }),
    'service',
  );

  return {
    clock,
    random,
    keys,
    issuerUrl,
    providerUrl,
    issuer: { deps: issuerDeps, store: issuerStore, listening: issuerListening },
    provider: { deps: providerDeps, store: providerStore, listening: providerListening },
    outbox,
    card,
    cardId,
    cin,
    iin,
    async close() {
      await outbox.stop();
      await Promise.all([issuerListening.close(), providerListening.close()]);
      await issuerStore.close();
      await providerStore.close();
    },
  };
}

/**
 * A simulated card registered with the issuer as at personalisation: cardholder, card (the issuer CA
 * certifies its key and derives its ISD keys), certificate and keys written into the card.
 */
export async function registerSimulatedCard(
  issuerUrl: string,
  dapPublicKey: Uint8Array,
  o: { seed: number | string; profile?: CardProfileInput; holder?: string },
): Promise<{ card: Card; cin: string; iin: string; cardId: string; keys: { kvn: number; enc: string; mac: string; dek: string } }> {
  const card = createCard({ profile: { ...o.profile, dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: toHex(dapPublicKey) } } }, seed: o.seed });
  card.powerOn();
  const value = (tag: number) => parseSingleTlv(card.transmit(buildGetData(tag)).slice(0, -2)).value;
  const cin = toHex(value(0x45));
  const iin = toHex(value(0x42));
  const icSerial = toHex(value(0x9f7f).subarray(12, 16));
  const ok = (r: HttpAnswer, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const { cardholderId } = ok(await http(issuerUrl, '/admin/cardholders', { token: ADMIN_TOKEN, body: { name: o.holder ?? 'Ada Lovelace', address: '12 St James Square, London' } }), 'cardholder');
  const registered = ok(
    await http(issuerUrl, '/admin/cards', { token: ADMIN_TOKEN, body: { cardholderId, iin, cin, icSerial, cardPublicKey: toHex(card.signingKey().publicKey) } }),
    'card',
  );
  // Personalisation writes the issuer's certificate and its per-card ISD keys into the card.
  card.installCertificate(fromHex(registered.certificate));
  personaliseKeys(card, registered.keys);
  return { card, cin, iin, cardId: registered.cardId, keys: registered.keys };
}

/** What the terminal reads from the card for collation (S1–S3): GET DATA answers, TLV form. */
export function cardReport(card: Card): { cplc: string; iin: string; cin: string; cardResources: string } {
  card.transmit(buildSelect());
  const get = (tag: number) => toHex(card.transmit(buildGetData(tag)).slice(0, -2));
  return { cplc: get(0x9f7f), iin: get(0x42), cin: get(0x45), cardResources: get(0xff21) };
}

/** S1–S3. */
export function collate(w: World, report = cardReport(w.card)): Promise<HttpAnswer> {
  return http(w.issuerUrl, '/cards/collate', { body: report });
}

/** S5–S6. */
export function selectService(w: World, serviceId = SERVICE_ID): Promise<HttpAnswer> {
  return http(w.providerUrl, `/services/${serviceId}/select`, { body: { cardId: w.cin } });
}

/** Sends a command and collects a long answer with GET RESPONSE (ISO 7816-4 §5.3.4, 61xx), bounded. */
export function transmitAll(card: Card, capdu: Uint8Array): Uint8Array {
  let r = card.transmit(capdu);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 64 && r[r.length - 2] === 0x61; i++) {
    parts.push(r.slice(0, -2));
    r = card.transmit(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, r[r.length - 1]!));
  }
  return Uint8Array.from([...parts.flatMap((p) => [...p]), ...r]);
}

/** S7: the card signs the request (PERFORM SECURITY OPERATION) and hands out its certificate (GET DATA 7F21). */
export function cardSigns(card: Card, encodedHex: string): { signature: string; certificate: string } {
  card.transmit(buildSelect());
  let r: Uint8Array = new Uint8Array(0);
  for (const c of buildComputeDigitalSignature(fromHex(encodedHex))) r = card.transmit(c);
  if (toHex(r.slice(-2)) !== '9000') throw new Error(`PSO answered ${toHex(r.slice(-2))}`);
  const cert = transmitAll(card, buildGetData(0x7f21));
  return { signature: toHex(r.slice(0, -2)), certificate: toHex(cert.slice(0, -2)) };
}

/** S8–S10 with a selection (S6) and the card's signature (S7). */
export function requestInstall(w: World, selection: any, signed: { signature: string; certificate: string }): Promise<HttpAnswer> {
  return http(w.issuerUrl, '/install-requests', {
    body: {
      request: selection.encodedRequest,
      signature: signed.signature,
      certificate: signed.certificate,
      providerId: selection.providerId,
      providerAuthorisation: selection.providerAuthorisation,
    },
  });
}

/** S11–S13: the SERAM session through the in-process relay. */
export function remoteManagement(w: World, install: any, tamper?: (capdu: Uint8Array, rapdu: Uint8Array) => Uint8Array): Promise<LocalAgentResult> {
  w.card.transmit(buildSelect());
  return runLocalAgent({
    handshakeUrl: install.remoteManagement.handshake,
    remoteManagementUrl: install.remoteManagement.remoteManagement,
    seId: w.cin,
    transmit: (c) => w.card.transmit(c),
    ...(tamper ? { tamper } : {}),
  });
}

/** S1–S13 in one go; returns the install answer and the SERAM session. */
export async function provision(w: World, tamper?: (capdu: Uint8Array, rapdu: Uint8Array) => Uint8Array): Promise<{ install: any; session: LocalAgentResult; selection: any }> {
  const c = await collate(w);
  if (c.status !== 200) throw new Error(`collation: ${c.status} ${JSON.stringify(c.body)}`);
  const selection = (await selectService(w)).body;
  const install = await requestInstall(w, selection, cardSigns(w.card, selection.encodedRequest));
  if (install.status !== 201) throw new Error(`install request: ${install.status} ${JSON.stringify(install.body)}`);
  const session = await remoteManagement(w, install.body, tamper);
  return { install: install.body, session, selection };
}

/** Every row of every table of a SQLite store, for "nothing changed" checks. */
export function dump(store: { db: { all(sql: string): Array<Record<string, unknown>> } }): Record<string, unknown[]> {
  const tables = store.db.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r.name as string);
  return Object.fromEntries(tables.map((t) => [t, store.db.all(`SELECT * FROM ${t}`)]));
}
