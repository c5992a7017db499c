/**
 * The provider store's contract, run against every backend: embedded SQLite (always) and PostgreSQL (a
 * private cluster; skipped with what to install when PostgreSQL is missing on a developer's machine, a
 * failure under CI). Services, selections, notifications recorded once per idempotency key (even when
 * two deliveries race), memberships, and the start of a membership fixed once across restarts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PgProviderStore } from '../../servers/provider/store/pg-provider-store.ts';
import { ProviderStoreError, type NewMember, type ProviderStore } from '../../servers/provider/store/provider-store.ts';
import { SqliteProviderStore } from '../../servers/provider/store/sqlite-provider-store.ts';
import { onPrivatePostgres } from '../support/private-postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A place holding one provider database: `open` opens (again) a store on it. */
interface ProviderBackend {
  name: string;
  fresh(): { open(): Promise<ProviderStore> };
}

const sqlite: ProviderBackend = {
  name: 'SQLite (libsql)',
  fresh() {
    const file = join(tempDir('cardlab-provider-contract-'), 'provider.db');
    return { open: async () => new SqliteProviderStore(file) };
  },
};

/** The private cluster's URL, set while the PostgreSQL tests run (onPrivatePostgres). */
let clusterUrl: () => string = () => '';
let schemas = 0;
const postgres: ProviderBackend = {
  name: 'PostgreSQL (pg)',
  fresh() {
    const schema = `provider_contract_${++schemas}`;
    return { open: () => PgProviderStore.open(clusterUrl(), { schema, maxConnections: 4 }) };
  },
};

const SERVICE = { id: 'loyalty', name: 'Loyalty', description: '', packageAid: 'F0434152444C', appletAid: 'F0434152444C01', instanceAid: 'F0434152444C01', startCommands: ['00A4040007F0434152444C0100'], openingCredit: 100, createdAt: 1 };
const CARD = '0102030405060708';
const MEMBER: NewMember = { serviceId: 'loyalty', cardId: CARD, orderId: 'o-1', curve: 'P-256', cardPublicKey: `04${'AB'.repeat(64)}` };
const NONCE = '11'.repeat(16);

function providerStoreContract(backend: ProviderBackend): void {
  describe(backend.name, () => {
    let store: ProviderStore;
    let place: ReturnType<ProviderBackend['fresh']>;
    const open = async () => {
      place = backend.fresh();
      store = await place.open();
      await store.createService(SERVICE);
      await store.createSelection({ nonce: NONCE, serviceId: 'loyalty', cardId: CARD, request: Uint8Array.of(0x71, 1), expiresAt: 9, createdAt: 1 });
    };
    const startRequest = (nonce: string) => store.createStartRequest({ nonce, serviceId: 'loyalty', cardId: CARD, request: Uint8Array.of(0x72, 1), expiresAt: 9, createdAt: 3 });

    it('keeps services, application requests and start requests; refuses a service id twice', async () => {
      await open();
      try {
        await store.ping();
        expect(await store.getService('loyalty')).toEqual(SERVICE);
        expect(await store.getService('none')).toBeUndefined();
        await store.createService({ ...SERVICE, id: 'second', openingCredit: null, startCommands: [], createdAt: 2 });
        expect((await store.listServices()).map((s) => [s.id, s.openingCredit])).toEqual([['loyalty', 100], ['second', null]]);
        await expect(store.createService(SERVICE)).rejects.toMatchObject({ code: 'DUPLICATE' });
        expect(await store.getSelection(NONCE)).toEqual({ nonce: NONCE, serviceId: 'loyalty', cardId: CARD, request: Uint8Array.of(0x71, 1), expiresAt: 9, createdAt: 1 });
        expect(await store.getSelection('00')).toBeUndefined();
        await startRequest('A1');
        expect(await store.getStartRequest('A1')).toEqual({ nonce: 'A1', serviceId: 'loyalty', cardId: CARD, request: Uint8Array.of(0x72, 1), expiresAt: 9, createdAt: 3, usedAt: null });
      } finally {
        await store.close();
      }
    });

    it('records a notification once per idempotency key, counts repeats, and refuses another body, a consumed request or a second membership with nothing written', async () => {
      await open();
      try {
        expect(await store.recordNotification({ id: 'n-1', body: '{"a":1}', nonce: NONCE, at: 2, member: MEMBER })).toBe('recorded');
        expect(await store.recordNotification({ id: 'n-1', body: '{"a":1}', nonce: NONCE, at: 3, member: MEMBER })).toBe('duplicate');
        expect(await store.getNotification('n-1')).toEqual({ id: 'n-1', body: '{"a":1}', receivedCount: 2, receivedAt: 2, nonce: NONCE });
        await expect(store.recordNotification({ id: 'n-1', body: '{"a":2}', nonce: NONCE, at: 4, member: MEMBER })).rejects.toMatchObject({ code: 'CONFLICT' });
        await expect(store.recordNotification({ id: 'n-2', body: '{}', nonce: NONCE, at: 4, member: { ...MEMBER, orderId: 'o-2' } })).rejects.toMatchObject({ code: 'NONCE_CONSUMED' });
        await expect(store.recordNotification({ id: 'n-3', body: '{}', nonce: '22'.repeat(16), at: 4, member: { ...MEMBER, orderId: 'o-3' } })).rejects.toMatchObject({ code: 'ALREADY_A_MEMBER' });
        expect(await store.getNotification('n-2')).toBeUndefined();
        expect(await store.getNotification('n-3')).toBeUndefined();
        expect(await store.getMember('loyalty', CARD)).toEqual({ serviceId: 'loyalty', cardId: CARD, orderId: 'o-1', notificationId: 'n-1', state: 'member', joinedAt: 2, activatedAt: null, curve: 'P-256', cardPublicKey: MEMBER.cardPublicKey });
        await store.recordNotification({ id: 'n-4', body: '{}', nonce: '44'.repeat(16), at: 5, member: { ...MEMBER, cardId: 'FF', orderId: 'o-4' } });
        expect((await store.listMembers('loyalty')).map((m) => m.cardId)).toEqual([CARD, 'FF']);
        expect(await store.listMembers('other')).toEqual([]);
        expect(await store.listMembers()).toHaveLength(2);
      } finally {
        await store.close();
      }
    });

    it('records one of two racing deliveries of a notification, and answers the other as a repeat', async () => {
      await open();
      try {
        const n = { id: 'n-1', body: '{"a":1}', nonce: NONCE, at: 2, member: MEMBER };
        expect((await Promise.all([store.recordNotification(n), store.recordNotification(n), store.recordNotification(n)])).sort()).toEqual(['duplicate', 'duplicate', 'recorded']);
        expect((await store.getNotification('n-1'))!.receivedCount).toBe(3);
        expect(await store.listMembers()).toHaveLength(1);
      } finally {
        await store.close();
      }
    });

    it('fixes the start commands once: the same record after a restart, until acknowledged; then none', async () => {
      await open();
      expect(await store.recordNotification({ id: 'n-1', body: '{}', nonce: NONCE, at: 2, member: MEMBER })).toBe('recorded');
      let made = 0;
      const make = () => ({ id: `start-${++made}`, commands: ['AA', 'BB'] });
      await startRequest('A1');
      const first = await store.beginStart({ nonce: 'A1', serviceId: 'loyalty', cardId: CARD, at: 4, make });
      expect(first.start).toEqual({ id: 'start-1', serviceId: 'loyalty', cardId: CARD, orderId: 'o-1', commands: ['AA', 'BB'], createdAt: 4, acknowledgedAt: null, responses: null });
      await expect(store.beginStart({ nonce: 'A1', serviceId: 'loyalty', cardId: CARD, at: 4, make })).rejects.toMatchObject({ code: 'REPLAYED' });
      await store.close();

      store = await place.open();
      try {
        await startRequest('A2');
        const again = await store.beginStart({ nonce: 'A2', serviceId: 'loyalty', cardId: CARD, at: 5, make });
        expect(again.start).toEqual(first.start);
        expect(made).toBe(1);
        const acked = await store.acknowledgeStart({ startId: 'start-1', responses: ['9000', '9000'], at: 6 });
        expect(acked).toMatchObject({ first: true, member: { state: 'active', activatedAt: 6 }, start: { acknowledgedAt: 6, responses: ['9000', '9000'] } });
        expect((await store.acknowledgeStart({ startId: 'start-1', responses: ['9000', '9000'], at: 7 })).first).toBe(false);
        expect(await store.getStart('start-1')).toMatchObject({ acknowledgedAt: 6 });
        await startRequest('A3');
        expect((await store.beginStart({ nonce: 'A3', serviceId: 'loyalty', cardId: CARD, at: 8, make })).start).toBeUndefined();
        await expect(store.acknowledgeStart({ startId: 'nope', responses: [], at: 8 })).rejects.toBeInstanceOf(ProviderStoreError);
        await startRequest('A4');
        await expect(store.beginStart({ nonce: 'A4', serviceId: 'loyalty', cardId: 'FF', at: 8, make })).rejects.toMatchObject({ code: 'NOT_FOUND' });

        // The application was deleted and installed again: the card joins again, for a start of its own.
        await expect(store.recordNotification({ id: 'n-5', body: '{}', nonce: '55'.repeat(16), at: 9, member: { ...MEMBER, orderId: 'o-5' } })).rejects.toMatchObject({ code: 'ALREADY_A_MEMBER' });
        expect(await store.recordNotification({ id: 'n-5', body: '{}', nonce: '55'.repeat(16), at: 9, member: { ...MEMBER, orderId: 'o-5', replacesOrderId: 'o-1' } })).toBe('recorded');
        expect(await store.getMember('loyalty', CARD)).toMatchObject({ orderId: 'o-5', state: 'member', activatedAt: null, joinedAt: 9 });
        await startRequest('A5');
        expect((await store.beginStart({ nonce: 'A5', serviceId: 'loyalty', cardId: CARD, at: 10, make })).start).toMatchObject({ id: 'start-2', orderId: 'o-5' });
      } finally {
        await store.close();
      }
    });

    it('makes one start when starts of a membership race, and uses each start request once', async () => {
      await open();
      try {
        await store.recordNotification({ id: 'n-1', body: '{}', nonce: NONCE, at: 2, member: MEMBER });
        let made = 0;
        const make = () => ({ id: `start-${++made}`, commands: ['AA'] });
        for (const nonce of ['B1', 'B2', 'B3']) await startRequest(nonce);
        const results = await Promise.allSettled(['B1', 'B2', 'B3', 'B3'].map((nonce) => store.beginStart({ nonce, serviceId: 'loyalty', cardId: CARD, at: 4, make })));
        expect(made).toBe(1);
        const started = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<ProviderStore['beginStart']>>>).value.start!.id);
        expect(started).toEqual(['start-1', 'start-1', 'start-1']);
        expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['REPLAYED']);
        const acks = await Promise.all([1, 2].map((i) => store.acknowledgeStart({ startId: 'start-1', responses: ['9000'], at: 5 + i })));
        expect(acks.map((a) => a.first).sort()).toEqual([false, true]);
      } finally {
        await store.close();
      }
    });
  });
}

describe('provider store contract', () => {
  providerStoreContract(sqlite);

  onPrivatePostgres((url) => {
    clusterUrl = url;
    providerStoreContract(postgres);
  });
});
