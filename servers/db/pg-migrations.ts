import type { Migration } from './migrations.ts';
import type { PgDatabase } from './pg-database.ts';
import { DatabaseError } from './sql-database.ts';

/**
 * Brings the store's PostgreSQL schema (namespace) to the newest version, as `migrate` does for
 * SQLite: each migration not yet recorded in `schema_migrations` runs in its own transaction together
 * with its record, and a database newer than this code is refused. Several instances may start at
 * once: each transaction first takes a transaction-scoped advisory lock of this schema, so one of
 * them migrates and the others find the work done.
 */
export async function migratePg(db: PgDatabase, migrations: Migration[]): Promise<number[]> {
  const lock = `cardlab migrations ${db.schema}`;
  const ran: number[] = [];
  for (let next = 0; ; next++) {
    const done = await db
      .transaction(async (tx) => {
        await tx.get('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
        await tx.run(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
        await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        const applied = new Set((await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
        const newest = Math.max(0, ...applied);
        if (newest > migrations.length) throw new DatabaseError('NEWER_SCHEMA', `database is at schema ${newest}, this code knows ${migrations.length}`);
        const m = migrations.find((x) => !applied.has(x.version));
        if (!m) return true;
        try {
          // A multi-statement text runs as one simple query; it joins this transaction.
          await tx.run(m.sql);
          await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        } catch (err) {
          throw new DatabaseError('MIGRATION_FAILED', `migration ${m.version}-${m.name} failed: ${(err as Error).message}`);
        }
        ran.push(m.version);
        return false;
      });
    if (done) return ran;
    if (next > migrations.length) throw new DatabaseError('MIGRATION_FAILED', 'migrations did not settle');
  }
}
