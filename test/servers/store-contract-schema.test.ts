/**
 * The two dialects' migrations (`NNN-name.sql` for SQLite, `NNN-name.pg.sql` for PostgreSQL) give the
 * same schema: the same tables and columns (types mapped: INTEGER → bigint, TEXT → text, BLOB → bytea),
 * nullability, defaults, primary and foreign keys, and indexes — unique or not, partial ones with the
 * same condition (the one open order per card and application). And PostgreSQL migrations behave as
 * SQLite's: once, in order, all or nothing, refusing a newer database, safe when instances start together.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../protocol/secrets/index.ts';
import { DatabaseError, migrate, migratePg, PgDatabase, readMigrations, SqlDatabase } from '../../servers/db/index.ts';
import { PgIssuerStore } from '../../servers/issuer/store/pg-issuer-store.ts';
import { findPostgresBin, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { postgresLane } from '../support/system-components.ts';

const STORES = {
  issuer: fileURLToPath(new URL('../../servers/issuer/store/migrations/', import.meta.url)),
  provider: fileURLToPath(new URL('../../servers/provider/store/migrations/', import.meta.url)),
};
const TYPE: Record<string, string> = { INTEGER: 'bigint', TEXT: 'text', BLOB: 'bytea' };

interface Schema {
  columns: string[];
  primaryKeys: string[];
  foreignKeys: string[];
  indexes: string[];
  migrations: string[];
}

/** `state IN ('a', 'b')` and `(state = ANY (ARRAY['a'::text, 'b'::text]))` both read `stateina,b`. */
const predicate = (p: string | null) =>
  p === null ? '' : ` WHERE ${p.replace(/::\w+/g, '').replace(/(\w+) = ANY \(ARRAY\[([^\]]*)\]\)/g, '$1 IN ($2)').replace(/[()'"\s]/g, '').toLowerCase()}`;
const defaultOf = (d: unknown) => (d === null || d === undefined ? '' : ` DEFAULT ${String(d).replace(/::\w+/g, '').replace(/'/g, '')}`);

function sqliteSchema(db: SqlDatabase): Schema {
  const tables = db.all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  const s: Schema = { columns: [], primaryKeys: [], foreignKeys: [], indexes: [], migrations: [] };
  for (const { name: t } of tables) {
    const cols = db.all<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(`PRAGMA table_info(${t})`);
    for (const c of cols) s.columns.push(`${t}.${c.name} ${TYPE[c.type]}${c.notnull || c.pk ? ' NOT NULL' : ''}${defaultOf(c.dflt_value)}`);
    s.primaryKeys.push(`${t}(${cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name).join(', ')})`);
    for (const f of db.all<{ from: string; table: string; to: string }>(`PRAGMA foreign_key_list(${t})`)) s.foreignKeys.push(`${t}.${f.from} → ${f.table}.${f.to}`);
    for (const i of db.all<{ name: string; unique: number; origin: string; partial: number }>(`PRAGMA index_list(${t})`)) {
      if (i.origin === 'pk') continue;
      const cols = db.all<{ name: string }>(`PRAGMA index_info(${i.name})`).map((c) => c.name).join(', ');
      const sql = db.get<{ sql: string | null }>("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [i.name])?.sql ?? null;
      const where = sql && i.partial ? /\bWHERE\b(.*)$/is.exec(sql)![1]!.trim() : null;
      s.indexes.push(`${i.unique ? 'UNIQUE ' : ''}${i.origin === 'c' ? i.name : '(constraint)'} ON ${t}(${cols})${predicate(where)}`);
    }
  }
  s.migrations = db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version').map((m) => `${m.version}-${m.name}`);
  for (const list of Object.values(s)) (list as string[]).sort();
  return s;
}

async function pgSchema(db: PgDatabase): Promise<Schema> {
  const schema = db.schema;
  const s: Schema = { columns: [], primaryKeys: [], foreignKeys: [], indexes: [], migrations: [] };
  const cols = await db.all<{ t: string; c: string; type: string; nullable: string; dflt: string | null }>(
    'SELECT table_name AS t, column_name AS c, data_type AS type, is_nullable AS nullable, column_default AS dflt FROM information_schema.columns WHERE table_schema = $1',
    [schema],
  );
  for (const c of cols) s.columns.push(`${c.t}.${c.c} ${c.type}${c.nullable === 'NO' ? ' NOT NULL' : ''}${defaultOf(c.dflt)}`);
  const constraints = await db.all<{ t: string; type: string; def: string; index: string | null }>(
    `SELECT cl.relname AS t, co.contype AS type, pg_get_constraintdef(co.oid) AS def, ix.relname AS index
       FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace LEFT JOIN pg_class ix ON ix.oid = co.conindid
      WHERE n.nspname = $1`,
    [schema],
  );
  const constraintIndexes = new Set<string>();
  for (const c of constraints) {
    if (c.type === 'p') s.primaryKeys.push(`${c.t}${/\((.*)\)/.exec(c.def)![0]}`);
    if (c.type === 'f') {
      const [, from, table, to] = /FOREIGN KEY \((\w+)\) REFERENCES (\w+)\((\w+)\)/.exec(c.def)!;
      s.foreignKeys.push(`${c.t}.${from} → ${table}.${to}`);
    }
    if ((c.type === 'p' || c.type === 'u') && c.index) constraintIndexes.add(c.index);
  }
  const indexes = await db.all<{ t: string; name: string; unique: boolean; primary: boolean; cols: string; pred: string | null }>(
    `SELECT t.relname AS t, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary, pg_get_expr(x.indpred, x.indrelid) AS pred,
            (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum) AS cols
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  for (const i of indexes) {
    if (i.primary) continue;
    s.indexes.push(`${i.unique ? 'UNIQUE ' : ''}${constraintIndexes.has(i.name) ? '(constraint)' : i.name} ON ${i.t}(${i.cols})${predicate(i.pred)}`);
  }
  s.migrations = (await db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')).map((m) => `${m.version}-${m.name}`);
  for (const list of Object.values(s)) (list as string[]).sort();
  return s;
}

const lane = postgresLane(findPostgresBin);
describe.skipIf(lane.skip !== undefined)(`store schema: SQLite and PostgreSQL migrations${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  let cluster: PrivatePostgres | undefined;
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
  });
  afterAll(() => cluster?.stop());

  for (const [store, dir] of Object.entries(STORES)) {
    it(`give the ${store} the same tables, columns, keys and indexes (the partial unique ones included)`, async () => {
      const lite = new SqlDatabase(':memory:');
      migrate(lite, readMigrations(dir));
      const expected = sqliteSchema(lite);
      lite.close();
      const db = new PgDatabase(cluster!.url, { schema: `${store}_schema` });
      try {
        await migratePg(db, readMigrations(dir, 'postgres'));
        const actual = await pgSchema(db);
        expect(actual).toEqual(expected);
        // Not a vacuous comparison: the one open order per card and application is there, partial.
        if (store === 'issuer') expect(actual.indexes).toContain('UNIQUE install_orders_one_open ON install_orders(card_id, application_id) WHERE stateinrequested,authorised,delivered');
        expect(readMigrations(dir, 'postgres').map((m) => m.name)).toEqual(readMigrations(dir).map((m) => m.name));
      } finally {
        await db.close();
      }
    });
  }

  it('migrates once when instances start together, refuses a newer database, and leaves no trace of a failed migration', async () => {
    const secrets = new SecretBox([{ id: 'k', key: new Uint8Array(32).fill(1) }]);
    const stores = await Promise.all([1, 2, 3].map(() => PgIssuerStore.open(cluster!.url, { secrets, schema: 'issuer_together', maxConnections: 2 })));
    const known = readMigrations(STORES.issuer, 'postgres').length;
    expect((await stores[0]!.db.all('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version)).toEqual(Array.from({ length: known }, (_, i) => i + 1));
    await stores[0]!.db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)', [known + 1, 'future']);
    await Promise.all(stores.map((s) => s.close()));
    await expect(PgIssuerStore.open(cluster!.url, { secrets, schema: 'issuer_together' })).rejects.toMatchObject({ code: 'NEWER_SCHEMA' });

    const dir = mkdtempSync(join(tmpdir(), 'cardlab-pgmig-'));
    const db = new PgDatabase(cluster!.url, { schema: 'failing' });
    try {
      writeFileSync(join(dir, '001-a.pg.sql'), 'CREATE TABLE a (x BIGINT);');
      writeFileSync(join(dir, '002-b.pg.sql'), 'CREATE TABLE b (y BIGINT); INSERT INTO nowhere VALUES (1);');
      await expect(migratePg(db, readMigrations(dir, 'postgres'))).rejects.toThrow(/migration 2-b failed/);
      await expect(migratePg(db, readMigrations(dir, 'postgres'))).rejects.toBeInstanceOf(DatabaseError);
      expect(await db.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'failing' ORDER BY table_name")).toEqual([{ table_name: 'a' }, { table_name: 'schema_migrations' }]);
      writeFileSync(join(dir, '002-b.pg.sql'), 'CREATE TABLE b (y BIGINT);');
      expect(await migratePg(db, readMigrations(dir, 'postgres'))).toEqual([2]);
      expect(await migratePg(db, readMigrations(dir, 'postgres'))).toEqual([]);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
