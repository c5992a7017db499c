import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, readMigrations, SqlDatabase } from '../../db/index.ts';
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

// The store's behaviour on every backend is test/servers/store-contract-provider.test.ts; this file keeps what is SQLite's own.

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
