import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, readMigrations, SqlDatabase } from '../../db/index.ts';
import { ProviderStoreError } from './provider-store.ts';
import { SqliteProviderStore } from './sqlite-provider-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'provider-store-'));
  dirs.push(dir);
  return join(dir, 'provider.db');
};

const SERVICE = { id: 'loyalty', name: 'Loyalty', description: '', packageAid: 'F0434152444C', appletAid: 'F0434152444C01', instanceAid: 'F0434152444C01', startCommands: ['00A4040007F0434152444C0100'], openingCredit: 100, createdAt: 1 };
const MEMBER = { serviceId: 'loyalty', cardId: '0102030405060708', orderId: 'o-1', curve: 'P-256', cardPublicKey: `04${'AB'.repeat(64)}` };

describe('provider store: the start of a membership', () => {
  it('fixes the start commands once: the same record after a restart, until acknowledged; then none', async () => {
    const file = tempFile();
    let store = new SqliteProviderStore(file);
    await store.createService(SERVICE);
    await store.createSelection({ nonce: '11'.repeat(16), serviceId: 'loyalty', cardId: MEMBER.cardId, request: new Uint8Array(1), expiresAt: 9, createdAt: 1 });
    expect(await store.recordNotification({ id: 'n-1', body: '{}', nonce: '11'.repeat(16), at: 2, member: MEMBER })).toBe('recorded');
    const request = (nonce: string) => store.createStartRequest({ nonce, serviceId: 'loyalty', cardId: MEMBER.cardId, request: new Uint8Array(1), expiresAt: 9, createdAt: 3 });
    let made = 0;
    const make = () => ({ id: `start-${++made}`, commands: ['AA', 'BB'] });
    await request('A1');
    const first = await store.beginStart({ nonce: 'A1', serviceId: 'loyalty', cardId: MEMBER.cardId, at: 4, make });
    await expect(store.beginStart({ nonce: 'A1', serviceId: 'loyalty', cardId: MEMBER.cardId, at: 4, make })).rejects.toMatchObject({ code: 'REPLAYED' });
    await store.close();

    store = new SqliteProviderStore(file);
    await request('A2');
    const again = await store.beginStart({ nonce: 'A2', serviceId: 'loyalty', cardId: MEMBER.cardId, at: 5, make });
    expect(again.start).toEqual(first.start);
    expect(made).toBe(1);
    const acked = await store.acknowledgeStart({ startId: 'start-1', responses: ['9000', '9000'], at: 6 });
    expect(acked).toMatchObject({ first: true, member: { state: 'active', activatedAt: 6 }, start: { acknowledgedAt: 6, responses: ['9000', '9000'] } });
    expect((await store.acknowledgeStart({ startId: 'start-1', responses: ['9000', '9000'], at: 7 })).first).toBe(false);
    await request('A3');
    expect((await store.beginStart({ nonce: 'A3', serviceId: 'loyalty', cardId: MEMBER.cardId, at: 8, make })).start).toBeUndefined();
    await expect(store.acknowledgeStart({ startId: 'nope', responses: [], at: 8 })).rejects.toBeInstanceOf(ProviderStoreError);
    await store.close();
  });
});

describe('provider store: migration 002 on a schema-1 database', () => {
  it('backfills the consumed request nonce of existing notifications and keeps existing members (without a card key)', async () => {
    const file = tempFile();
    const all = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)));
    const db = new SqlDatabase(file);
    migrate(db, all.slice(0, 1));
    db.run("INSERT INTO services (id, name, description, package_aid, applet_aid, instance_aid, start_commands, created_at) VALUES ('loyalty', 'L', '', 'F0434152444C', 'F0434152444C01', 'F0434152444C01', '[]', 1)");
    for (const [id, nonce] of [['n-1', 'aa'.repeat(16)], ['n-2', 'AA'.repeat(16)], ['n-3', 'bb'.repeat(16)]] as const) {
      db.run('INSERT INTO notifications (id, body, received_count, received_at) VALUES (?, ?, 1, 1)', [id, JSON.stringify({ nonce })]);
    }
    db.run("INSERT INTO members (service_id, card_id, order_id, notification_id, state, joined_at) VALUES ('loyalty', '01', 'o-1', 'n-1', 'member', 1)");
    db.close();

    const store = new SqliteProviderStore(file);
    expect(store.db.all('SELECT id, nonce FROM notifications ORDER BY id')).toEqual([
      { id: 'n-1', nonce: 'AA'.repeat(16) },
      { id: 'n-2', nonce: null }, // a second notification of the same request (the defect 002 closes) keeps no claim on it
      { id: 'n-3', nonce: 'BB'.repeat(16) },
    ]);
    expect(await store.getMember('loyalty', '01')).toMatchObject({ state: 'member', curve: null, cardPublicKey: null });
    expect((await store.getService('loyalty'))!.openingCredit).toBeNull();
    await store.close();
  });
});
