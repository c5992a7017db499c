/**
 * The issuer store's contract, run against every backend: embedded SQLite (always) and PostgreSQL (a
 * private cluster; skipped with what to install when PostgreSQL is missing on a developer's machine,
 * a failure under CI). Every method of `IssuerStore`, its refusals (a nonce seen before, an open order
 * for the same card and application, even when two writes race), the expiry sweep, the outbox and the
 * sealing of secrets at rest.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../protocol/secrets/index.ts';
import type { ConfirmInstall, IssuerStore } from '../../servers/issuer/store/issuer-store.ts';
import { PgIssuerStore } from '../../servers/issuer/store/pg-issuer-store.ts';
import { SqliteIssuerStore } from '../../servers/issuer/store/sqlite-issuer-store.ts';
import { onPrivatePostgres } from '../support/private-postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const keyring = (...ids: number[]) => new SecretBox(ids.map((b) => ({ id: `k${b}`, key: new Uint8Array(32).fill(b) })));

/** A place holding one issuer database: `open` opens (again) a store on it. */
interface IssuerBackend {
  name: string;
  /** Claims due notifications for one instance at a time (several instances share the database). */
  claimsOutbox: boolean;
  fresh(): { open(secrets?: SecretBox): Promise<IssuerStore> };
}

const sqlite: IssuerBackend = {
  name: 'SQLite (libsql)',
  claimsOutbox: false,
  fresh() {
    const file = join(tempDir('cardlab-issuer-contract-'), 'issuer.db');
    return { open: async (secrets = keyring(1)) => new SqliteIssuerStore(file, { secrets }) };
  },
};

/** The private cluster's URL, set while the PostgreSQL tests run (onPrivatePostgres). */
let clusterUrl: () => string = () => '';
let schemas = 0;
const postgres: IssuerBackend = {
  name: 'PostgreSQL (pg)',
  claimsOutbox: true,
  fresh() {
    const schema = `issuer_contract_${++schemas}`;
    return { open: (secrets = keyring(1)) => PgIssuerStore.open(clusterUrl(), { secrets, schema, maxConnections: 4, claimMs: 30_000 }) };
  },
};

/** A raw column of the first row, as the database holds it. */
async function raw(store: IssuerStore, sql: string): Promise<Record<string, unknown>> {
  return (await (store as SqliteIssuerStore | PgIssuerStore).db.get(sql)) as Record<string, unknown>;
}

const KEY = new Uint8Array(16).fill(0xa1);
const SECRET = new Uint8Array(32).fill(0xb2);
const NOW = 1_700_000_000_000;

async function seed(store: IssuerStore): Promise<void> {
  await store.createCardholder({ id: 'h1', name: 'Ada', address: 'Street 1', createdAt: 1 });
  for (const [id, cin] of [['c1', '0101'], ['c2', '0202']] as const) {
    await store.createCard({
      id, cardholderId: 'h1', iin: '42434C', cin, icSerial: '00000001', isdAid: 'A000000151000000', keys: { kvn: 0x30, enc: KEY, mac: KEY, dek: KEY },
      keySource: 'derived', curve: 'P-256', publicKey: new Uint8Array(65).fill(4), certificate: new Uint8Array(70).fill(3), status: 'active',
      freeNvm: null, freeVm: null, installedCount: null, collatedAt: null, createdAt: 2,
    });
  }
  await store.createProvider({ id: 'p1', name: 'Acme', notificationUrl: 'http://127.0.0.1:9/n', hmacSecret: SECRET, createdAt: 3 });
  for (const [id, aid] of [['a1', 'F0000000AA'], ['a2', 'F0000000BB']] as const) {
    await store.createApplication({
      id, providerId: 'p1', name: `app ${id}`, packageAid: aid, packageVersion: '1.0', appletAids: [`${aid}01`], moduleAid: `${aid}01`, instanceAid: `${aid}01`,
      privileges: '00', installParams: Uint8Array.of(1), cap: Uint8Array.of(0xca, 0xfe), lfdb: Uint8Array.of(0xc4, 0), lfdbHash: new Uint8Array(32).fill(9),
      dapSignature: new Uint8Array(64).fill(8), memoryNeeded: 1234, createdAt: 4,
    });
  }
}

let orders = 0;
const order = (o: { cardId?: string; applicationId?: string; nonce?: string; expiresAt?: number; createdAt?: number } = {}) => {
  const n = ++orders;
  return {
    id: `o${n}`, cardId: o.cardId ?? 'c1', applicationId: o.applicationId ?? 'a1', providerId: 'p1', serviceId: 'loyalty', nonce: o.nonce ?? `nonce-${n}`,
    request: Uint8Array.of(0x71, n), requestSignature: Uint8Array.of(0x30, n), expiresAt: o.expiresAt ?? NOW / 1000 + 300, sessionId: `session-${n}`, createdAt: o.createdAt ?? NOW + n,
  };
};

const confirmation = (orderId: string, n = 1): ConfirmInstall => ({
  orderId, at: NOW + 100, deliveredDetail: 'script delivered', confirmation: Uint8Array.of(0x0c, n), confirmationCounter: n,
  contents: [{ aid: 'F0000000AA', kind: 'load_file', loadFileAid: null }, { aid: 'F0000000AA01', kind: 'application', loadFileAid: 'F0000000AA' }],
  resources: { freeNvm: 1000, freeVm: 200, installedCount: 3 }, notification: { id: `n-${orderId}`, providerId: 'p1', body: `{"orderId":"${orderId}"}` },
});

function issuerStoreContract(backend: IssuerBackend): void {
  let store: IssuerStore;
  let place: ReturnType<IssuerBackend['fresh']>;
  const open = async () => {
    place = backend.fresh();
    store = await place.open();
    await seed(store);
  };
  const after = () => store.close();

  describe(backend.name, () => {
    it('keeps cardholders, cards, providers and applications, and names the field of a duplicate', async () => {
      await open();
      try {
        await store.ping();
        expect(await store.getCardholder('h1')).toEqual({ id: 'h1', name: 'Ada', address: 'Street 1', createdAt: 1 });
        expect(await store.getCardholder('nobody')).toBeUndefined();
        const card = (await store.getCard('c1'))!;
        expect(card).toMatchObject({ cin: '0101', keys: { kvn: 0x30, enc: KEY, mac: KEY, dek: KEY }, keySource: 'derived', status: 'active', freeNvm: null, createdAt: 2 });
        expect(card.publicKey).toEqual(new Uint8Array(65).fill(4));
        expect((await store.getCardByCin('0202'))!.id).toBe('c2');
        expect(await store.getCardByCin('9999')).toBeUndefined();
        await store.setCardStatus('c2', 'blocked');
        expect((await store.getCard('c2'))!.status).toBe('blocked');
        await expect(store.setCardStatus('nope', 'blocked')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        const { id: _, ...rest } = card;
        await expect(store.createCard({ ...rest, id: 'c3', cin: '0101' })).rejects.toMatchObject({ code: 'DUPLICATE', field: 'cin' });
        await expect(store.createCardholder({ id: 'h1', name: 'x', address: 'y', createdAt: 0 })).rejects.toMatchObject({ code: 'DUPLICATE', field: 'id' });

        expect((await store.getProvider('p1'))!.hmacSecret).toEqual(SECRET);
        await store.setProviderNotificationUrl('p1', 'http://127.0.0.1:10/n');
        expect((await store.getProvider('p1'))!.notificationUrl).toBe('http://127.0.0.1:10/n');
        await expect(store.setProviderNotificationUrl('p9', 'http://x')).rejects.toMatchObject({ code: 'NOT_FOUND' });

        const app = (await store.getApplication('a1'))!;
        expect(app).toMatchObject({ packageAid: 'F0000000AA', appletAids: ['F0000000AA01'], memoryNeeded: 1234, cap: Uint8Array.of(0xca, 0xfe) });
        expect((await store.getApplicationByPackageAid('F0000000BB'))!.id).toBe('a2');
        expect((await store.listApplications()).map((a) => a.id)).toEqual(['a1', 'a2']);
        await expect(store.createApplication({ ...app, id: 'a3' })).rejects.toMatchObject({ code: 'DUPLICATE', field: 'package_aid' });
      } finally {
        await after();
      }
    });

    it('writes an order requested → authorised at once; refuses a nonce seen before and a second open order for the card and application', async () => {
      await open();
      try {
        const first = order();
        await store.createAuthorisedOrder(first);
        expect(await store.getOrder(first.id)).toMatchObject({ state: 'authorised', failureCode: null, confirmation: null, updatedAt: first.createdAt, request: first.request });
        expect((await store.getOrderBySession(first.sessionId))!.id).toBe(first.id);
        expect(await store.orderEvents(first.id)).toEqual([
          { fromState: null, toState: 'requested', detail: 'card-signed request received', at: first.createdAt },
          { fromState: 'requested', toState: 'authorised', detail: 'chain, signature, card, freshness and replay checks passed', at: first.createdAt },
        ]);
        await expect(store.createAuthorisedOrder(order({ cardId: 'c2', nonce: first.nonce }))).rejects.toMatchObject({ code: 'DUPLICATE', field: 'nonce' });
        await expect(store.createAuthorisedOrder(order())).rejects.toMatchObject({ code: 'DUPLICATE', field: 'open_order' });
        // Another application, or another card, is no conflict.
        await store.createAuthorisedOrder(order({ applicationId: 'a2' }));
        await store.createAuthorisedOrder(order({ cardId: 'c2' }));
        expect((await store.listOrders({ cardId: 'c1' })).map((o) => o.applicationId)).toEqual(['a1', 'a2']);
        expect(await store.listOrders({ cardId: 'c2', state: 'confirmed' })).toEqual([]);
        expect(await store.listOrders()).toHaveLength(3);
        // Once the first order failed, the card may have a new order for that application.
        await store.failOrder(first.id, 'no_response', 'the card did not answer', NOW + 50, { freeNvm: 10, freeVm: 20, installedCount: 1 });
        expect(await store.getOrder(first.id)).toMatchObject({ state: 'failed', failureCode: 'no_response', failureDetail: 'the card did not answer', updatedAt: NOW + 50 });
        expect(await store.getCard('c1')).toMatchObject({ freeNvm: 10, freeVm: 20, installedCount: 1 });
        await expect(store.failOrder(first.id, 'no_response', 'again', NOW + 51)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
        await expect(store.failOrder('o-none', 'x', 'y', NOW)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await store.createAuthorisedOrder(order());
      } finally {
        await after();
      }
    });

    it('lets one of two racing orders for the same card and application through (order_open for the other), and leaves no trace of the refused one', async () => {
      await open();
      try {
        const results = await Promise.allSettled([store.createAuthorisedOrder(order()), store.createAuthorisedOrder(order()), store.createAuthorisedOrder(order())]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'DUPLICATE', field: 'open_order' });
        const [kept] = await store.listOrders();
        expect(await store.listOrders()).toHaveLength(1);
        expect(await store.orderEvents(kept!.id)).toHaveLength(2);
      } finally {
        await after();
      }
    });

    it('moves an order only from the state named, and confirms an install in one transaction with its contents, free memory and notification', async () => {
      await open();
      try {
        const o = order();
        await store.createAuthorisedOrder(o);
        await expect(store.transitionOrder(o.id, 'delivered', 'confirmed', null, NOW)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
        await store.confirmInstall(confirmation(o.id));
        expect(await store.getOrder(o.id)).toMatchObject({ state: 'confirmed', confirmation: Uint8Array.of(0x0c, 1), confirmationCounter: 1, updatedAt: NOW + 100 });
        expect((await store.orderEvents(o.id)).map((e) => e.toState)).toEqual(['requested', 'authorised', 'delivered', 'confirmed']);
        expect(await store.listCardContents('c1')).toEqual([
          { aid: 'F0000000AA', kind: 'load_file', loadFileAid: null, orderId: o.id, installedAt: NOW + 100 },
          { aid: 'F0000000AA01', kind: 'application', loadFileAid: 'F0000000AA', orderId: o.id, installedAt: NOW + 100 },
        ]);
        expect(await store.getCard('c1')).toMatchObject({ freeNvm: 1000, freeVm: 200, installedCount: 3 });
        expect(await store.listNotifications()).toMatchObject([{ id: `n-${o.id}`, orderId: o.id, attempts: 0, nextAttemptAt: NOW + 100, deliveredAt: null, deadAt: null }]);
        // Confirmed twice (two instances, or a retry): the second changes nothing.
        await expect(store.confirmInstall({ ...confirmation(o.id, 2), notification: { id: 'n-other', providerId: 'p1', body: '{}' } })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
        expect(await store.listNotifications()).toHaveLength(1);
        expect((await store.getOrder(o.id))!.confirmationCounter).toBe(1);
        await expect(store.confirmInstall(confirmation('o-none'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

        expect(await store.removeCardContent('c1', 'F0000000AA')).toBe(2);
        expect(await store.listCardContents('c1')).toEqual([]);
      } finally {
        await after();
      }
    });

    it('confirms an order once when two confirmations race (one STATE_CONFLICT, one notification)', async () => {
      await open();
      try {
        const o = order();
        await store.createAuthorisedOrder(o);
        const results = await Promise.allSettled([store.confirmInstall(confirmation(o.id, 1)), store.confirmInstall({ ...confirmation(o.id, 2), notification: { id: 'n-2', providerId: 'p1', body: '{}' } })]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'STATE_CONFLICT' });
        expect(await store.listNotifications()).toHaveLength(1);
        expect((await store.orderEvents(o.id)).map((e) => e.toState)).toEqual(['requested', 'authorised', 'delivered', 'confirmed']);
      } finally {
        await after();
      }
    });

    it('fails every open order at or past its expiry once, even when two sweeps race; later orders stay open', async () => {
      await open();
      try {
        const due = [order({ expiresAt: 100 }), order({ cardId: 'c2', expiresAt: 200 })];
        const later = order({ applicationId: 'a2', expiresAt: 201 });
        const confirmed = order({ cardId: 'c2', applicationId: 'a2', expiresAt: 50 });
        for (const o of [...due, later, confirmed]) await store.createAuthorisedOrder(o);
        await store.confirmInstall(confirmation(confirmed.id));
        const [a, b] = await Promise.all([store.expireOrders(200, NOW + 7), store.expireOrders(200, NOW + 7)]);
        expect([...a!, ...b!].sort()).toEqual(due.map((o) => o.id).sort());
        for (const o of due) {
          expect(await store.getOrder(o.id)).toMatchObject({ state: 'failed', failureCode: 'order_expired', updatedAt: NOW + 7 });
          expect((await store.orderEvents(o.id)).filter((e) => e.toState === 'failed')).toHaveLength(1);
        }
        expect((await store.getOrder(later.id))!.state).toBe('authorised');
        expect((await store.getOrder(confirmed.id))!.state).toBe('confirmed');
        expect(await store.expireOrders(200, NOW + 8)).toEqual([]);
        // The expired order freed its card and application.
        await store.createAuthorisedOrder(order());
      } finally {
        await after();
      }
    });

    it('keeps the outbox: due rows, attempts with backoff, delivery, dead letters and their retry', async () => {
      await open();
      try {
        const [x, y] = [order(), order({ cardId: 'c2' })];
        for (const o of [x, y]) await store.createAuthorisedOrder(o);
        await store.confirmInstall(confirmation(x.id));
        await store.confirmInstall({ ...confirmation(y.id), at: NOW + 200 });
        expect(await store.dueNotifications(NOW + 99, 10)).toEqual([]);
        expect((await store.dueNotifications(NOW + 100, 10)).map((r) => r.id)).toEqual([`n-${x.id}`]);
        await store.markNotificationAttempt(`n-${x.id}`, { attempts: 1, nextAttemptAt: NOW + 1000, error: 'provider answered 503' });
        expect(await store.getNotification(`n-${x.id}`)).toMatchObject({ attempts: 1, nextAttemptAt: NOW + 1000, lastError: 'provider answered 503' });
        expect((await store.dueNotifications(NOW + 999, 10)).map((r) => r.id)).toEqual([`n-${y.id}`]);
        await store.markNotificationDelivered(`n-${y.id}`, NOW + 300);
        expect(await store.getNotification(`n-${y.id}`)).toMatchObject({ attempts: 1, deliveredAt: NOW + 300, lastError: null });
        await store.markNotificationDead(`n-${x.id}`, { attempts: 2, at: NOW + 400, error: 'provider answered 422' });
        expect(await store.dueNotifications(NOW + 10_000_000, 10)).toEqual([]);
        expect((await store.listNotifications({ state: 'dead' })).map((r) => r.id)).toEqual([`n-${x.id}`]);
        expect((await store.listNotifications({ state: 'delivered' })).map((r) => r.id)).toEqual([`n-${y.id}`]);
        expect(await store.listNotifications({ state: 'pending' })).toEqual([]);
        expect(await store.listNotifications()).toHaveLength(2);
        expect(await store.retryNotification(`n-${y.id}`, NOW + 500)).toBe(false);
        expect(await store.retryNotification(`n-${x.id}`, NOW + 500)).toBe(true);
        expect(await store.getNotification(`n-${x.id}`)).toMatchObject({ attempts: 0, deadAt: null, nextAttemptAt: NOW + 500 });
        expect((await store.dueNotifications(NOW + 500, 10)).map((r) => r.id)).toEqual([`n-${x.id}`]);
        expect(await store.getNotification('n-none')).toBeUndefined();
      } finally {
        await after();
      }
    });

    // Only a store that several processes share claims outbox rows; the test exists only for it.
    if (backend.claimsOutbox)
      it('hands each due notification to one claimant at a time; an unrecorded claim lapses', async () => {
      await open();
      try {
        const made = [order(), order({ cardId: 'c2' }), order({ applicationId: 'a2' })];
        for (const o of made) {
          await store.createAuthorisedOrder(o);
          await store.confirmInstall(confirmation(o.id));
        }
        const [a, b] = await Promise.all([store.dueNotifications(NOW + 100, 2), store.dueNotifications(NOW + 100, 2)]);
        const ids = [...a!, ...b!].map((r) => r.id);
        expect(ids.sort()).toEqual(made.map((o) => `n-${o.id}`).sort());
        expect(await store.dueNotifications(NOW + 100, 10)).toEqual([]);
        // The claimant died before recording an outcome: after the claim (30 s here) another instance sends them.
        expect(await store.dueNotifications(NOW + 100 + 30_000, 10)).toHaveLength(3);
      } finally {
        await after();
      }
    });

    it('keeps SERAM sessions sealed, versioned (one of two racing saves wins; a handshake starts over) and forgets idle ones', async () => {
      await open();
      try {
        const o = order();
        await store.createAuthorisedOrder(o);
        const state = (text: string) => new Uint8Array(Buffer.from(JSON.stringify({ phase: text, sEnc: 'C0FFEE'.repeat(5) })));
        expect(await store.putSeramSession({ sessionId: o.sessionId, orderId: o.id, state: state('start'), lastSeen: NOW }, null)).toBe(1);
        expect(await store.getSeramSession(o.sessionId)).toEqual({ sessionId: o.sessionId, orderId: o.id, state: state('start'), version: 1, lastSeen: NOW });
        const sealed = (await raw(store, 'SELECT state FROM seram_sessions')).state as Uint8Array;
        expect(SecretBox.isSealed(sealed)).toBe(true);
        expect(Buffer.from(sealed).includes(Buffer.from('C0FFEE'))).toBe(false);
        const saves = await Promise.all([1, 2].map((i) => store.putSeramSession({ sessionId: o.sessionId, orderId: o.id, state: state(`report ${i}`), lastSeen: NOW + i }, 1)));
        expect(saves.filter((v) => v === 2)).toHaveLength(1);
        expect(saves.filter((v) => v === undefined)).toHaveLength(1);
        expect(await store.putSeramSession({ sessionId: o.sessionId, orderId: o.id, state: state('late'), lastSeen: NOW + 3 }, 1)).toBeUndefined();
        expect(await store.putSeramSession({ sessionId: o.sessionId, orderId: o.id, state: state('again'), lastSeen: NOW + 4 }, null)).toBe(3);
        expect(await store.getSeramSession(o.sessionId)).toMatchObject({ state: state('again'), version: 3, lastSeen: NOW + 4 });
        expect(await store.sweepSeramSessions(NOW + 4)).toBe(0);
        expect(await store.sweepSeramSessions(NOW + 5)).toBe(1);
        expect(await store.getSeramSession(o.sessionId)).toBeUndefined();
        expect(await store.putSeramSession({ sessionId: o.sessionId, orderId: o.id, state: state('x'), lastSeen: NOW }, 7)).toBeUndefined();
        await store.putSeramSession({ sessionId: o.sessionId, orderId: o.id, state: state('y'), lastSeen: NOW }, null);
        await store.deleteSeramSession(o.sessionId);
        expect(await store.getSeramSession(o.sessionId)).toBeUndefined();
      } finally {
        await after();
      }
    });

    it('never stores a card key or provider secret in clear, and re-seals under a new data key when the keyring rotates', async () => {
      await open();
      expect(SecretBox.keyIdOf((await raw(store, 'SELECT key_enc FROM cards')).key_enc as Uint8Array)).toBe('k1');
      const plainRow = await raw(store, 'SELECT key_enc, key_mac, key_dek, hmac_secret FROM cards, providers');
      for (const v of Object.values(plainRow)) expect(Buffer.from(v as Uint8Array).includes(Buffer.from(KEY)) || Buffer.from(v as Uint8Array).includes(Buffer.from(SECRET))).toBe(false);
      await store.close();
      const rotated = await place.open(keyring(2, 1));
      expect(SecretBox.keyIdOf((await raw(rotated, 'SELECT key_enc FROM cards')).key_enc as Uint8Array)).toBe('k2');
      expect(SecretBox.keyIdOf((await raw(rotated, 'SELECT hmac_secret FROM providers')).hmac_secret as Uint8Array)).toBe('k2');
      await rotated.close();
      const onlyNew = await place.open(keyring(2));
      expect((await onlyNew.getCard('c1'))!.keys.enc).toEqual(KEY);
      expect((await onlyNew.getProvider('p1'))!.hmacSecret).toEqual(SECRET);
      await onlyNew.close();
      await expect(Promise.resolve().then(() => place.open(keyring(9)))).rejects.toThrow(/not in the keyring/);
    });
  });
}

describe('issuer store contract', () => {
  issuerStoreContract(sqlite);

  onPrivatePostgres((url) => {
    clusterUrl = url;
    issuerStoreContract(postgres);
  });
});
