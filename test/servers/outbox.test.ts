import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { createLogger, OutboxWorker, SqliteIssuerStore } from '../../servers/index.ts';
import { ADMIN_TOKEN, http, provision, startWorld, TEST_DATA_KEYS, type World } from './support/world.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
let world: World | undefined;
let dir: string | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempDb(): string {
  dir = mkdtempSync(join(tmpdir(), 'cardlab-outbox-'));
  return join(dir, 'issuer.db');
}

/** The issuer comes back on the same database file with a fresh worker (as after a process restart). */
function restartedWorker(w: World, file: string, o: { afterSend?: () => void } = {}) {
  const store = new SqliteIssuerStore(file, { secrets: TEST_DATA_KEYS });
  const worker = new OutboxWorker({ store, logger, clock: () => w.clock.now, random: seededRandom('restart'), baseDelayMs: 50, ...o });
  return { store, worker };
}

describe('outbox: the provider hears of each member exactly once in effect', () => {
  it('delivers after an issuer restart between writing the confirmation and telling the provider', async () => {
    const file = tempDb();
    const w = (world = await startWorld({ issuerDb: file }));
    const { install } = await provision(w);
    expect(w.issuer.store.db.get('SELECT state FROM install_orders')).toEqual({ state: 'confirmed' });
    expect(w.issuer.store.db.get('SELECT delivered_at FROM outbox')).toEqual({ delivered_at: null });
    // The issuer process stops before its worker ran: close the store (the app's only state).
    await w.issuer.listening.close();
    await w.issuer.store.close();

    const { store, worker } = restartedWorker(w, file);
    try {
      expect(await worker.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
      expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
      expect(w.provider.store.db.all('SELECT order_id FROM members')).toEqual([{ order_id: install.orderId }]);
      expect(w.provider.store.db.all('SELECT received_count FROM notifications')).toEqual([{ received_count: 1 }]);
    } finally {
      await store.close();
    }
  });

  it('re-sends after a crash between the provider’s 2xx and the record, and the provider records it once', async () => {
    const file = tempDb();
    const w = (world = await startWorld({ issuerDb: file }));
    await provision(w);
    await w.issuer.listening.close();
    await w.issuer.store.close();

    const crashing = restartedWorker(w, file, {
      afterSend: () => {
        throw new Error('process killed after the provider answered');
      },
    });
    await expect(crashing.worker.runOnce()).rejects.toThrow('process killed');
    await crashing.store.close();
    expect(w.provider.store.db.all('SELECT received_count FROM notifications')).toEqual([{ received_count: 1 }]);

    const { store, worker } = restartedWorker(w, file);
    try {
      expect(await worker.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
      expect(w.provider.store.db.all('SELECT received_count FROM notifications')).toEqual([{ received_count: 2 }]);
      expect(w.provider.store.db.all('SELECT * FROM members')).toHaveLength(1);
      expect(store.db.get('SELECT attempts FROM outbox WHERE delivered_at IS NOT NULL')).toEqual({ attempts: 1 });
    } finally {
      await store.close();
    }
  });

  it('retries with exponential backoff while the provider is down, then delivers once', async () => {
    const w = (world = await startWorld());
    await provision(w);
    const url = w.issuer.store.db.get<{ notification_url: string }>('SELECT notification_url FROM providers')!.notification_url;
    await w.issuer.store.setProviderNotificationUrl('acme-loyalty', 'http://127.0.0.1:9/notifications');

    expect(await w.outbox.runOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    const first = w.issuer.store.db.get<{ attempts: number; next_attempt_at: number; last_error: string }>('SELECT attempts, next_attempt_at, last_error FROM outbox')!;
    expect(first.attempts).toBe(1);
    expect(first.next_attempt_at - w.clock.now).toBeGreaterThanOrEqual(25);
    expect(first.next_attempt_at - w.clock.now).toBeLessThanOrEqual(50);
    // Not yet due: nothing is tried.
    expect(await w.outbox.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    w.clock.now = first.next_attempt_at;
    expect(await w.outbox.runOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    const second = w.issuer.store.db.get<{ attempts: number; next_attempt_at: number }>('SELECT attempts, next_attempt_at FROM outbox')!;
    expect(second.attempts).toBe(2);
    expect(second.next_attempt_at - w.clock.now).toBeGreaterThanOrEqual(50); // doubled

    await w.issuer.store.setProviderNotificationUrl('acme-loyalty', url);
    w.clock.now = second.next_attempt_at;
    expect(await w.outbox.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(w.provider.store.db.all('SELECT received_count FROM notifications')).toEqual([{ received_count: 1 }]);
  });

  it('delivers by itself once started: the confirmation wakes the worker, and the session ends once the provider was told', async () => {
    const w = (world = await startWorld());
    w.issuer.deps.onNotificationQueued = () => w.outbox.wake();
    w.outbox.start();
    await provision(w);
    // The stopCommand waited for the notification's first attempt: the provider knows the member already.
    expect(w.provider.store.db.all('SELECT state FROM members')).toEqual([{ state: 'member' }]);
  });

  it('makes a notification the provider refuses (422) a dead letter at once, listed by the admin API and re-queued by it', async () => {
    const w = (world = await startWorld());
    await provision(w);
    const { createServer } = await import('node:http');
    let calls = 0;
    const refusing = createServer((_req, res) => {
      calls++;
      res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":{"code":"notification_conflict","message":"no"}}');
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const url = w.issuer.store.db.get<{ notification_url: string }>('SELECT notification_url FROM providers')!.notification_url;
    try {
      await w.issuer.store.setProviderNotificationUrl('acme-loyalty', `http://127.0.0.1:${(refusing.address() as { port: number }).port}/notifications`);
      expect(await w.outbox.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 1 });
      w.clock.now += 3_600_000;
      expect(await w.outbox.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
      expect(calls).toBe(1);
      const dead = await http(w.issuerUrl, '/admin/notifications?state=dead', { token: ADMIN_TOKEN });
      expect(dead.body.notifications).toEqual([expect.objectContaining({ state: 'dead', attempts: 1, lastError: 'provider answered 422' })]);
      expect((await http(w.issuerUrl, '/admin/notifications?state=dead')).status).toBe(401);

      // The provider is fixed; an operator re-queues the dead letter and it is delivered once.
      await w.issuer.store.setProviderNotificationUrl('acme-loyalty', url);
      const retried = await http(w.issuerUrl, `/admin/notifications/${dead.body.notifications[0].notificationId}/retry`, { method: 'POST', token: ADMIN_TOKEN });
      expect([retried.status, retried.body.state]).toEqual([200, 'pending']);
      expect(await w.outbox.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
      expect((await http(w.issuerUrl, '/admin/notifications?state=dead', { token: ADMIN_TOKEN })).body.notifications).toEqual([]);
    } finally {
      await new Promise((r) => refusing.close(r));
    }
  });

  it('gives up on a provider that stays down after a bounded number of attempts', async () => {
    const w = (world = await startWorld());
    await provision(w);
    const worker = new OutboxWorker({ store: w.issuer.store, logger, clock: () => w.clock.now, random: seededRandom('bounded'), baseDelayMs: 10, maxDelayMs: 10, maxAttempts: 3 });
    await w.issuer.store.setProviderNotificationUrl('acme-loyalty', 'http://127.0.0.1:9/notifications');
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(await worker.runOnce());
      w.clock.now += 1000;
    }
    expect(outcomes.map((o) => `${o.retried}/${o.dead}`)).toEqual(['1/0', '1/0', '0/1', '0/0', '0/0']);
    expect(w.issuer.store.db.get('SELECT attempts, dead_at IS NOT NULL AS dead FROM outbox')).toEqual({ attempts: 3, dead: 1 });
  });
});
