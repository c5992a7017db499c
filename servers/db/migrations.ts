import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseError, type SqlDatabase } from './sql-database.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The SQL dialect of a migration file: `NNN-name.sql` is SQLite's, `NNN-name.pg.sql` PostgreSQL's. */
export type MigrationDialect = 'sqlite' | 'postgres';
const FILE_NAME: Record<MigrationDialect, RegExp> = { sqlite: /^(\d{3})-([a-z0-9-]+)\.sql$/, postgres: /^(\d{3})-([a-z0-9-]+)\.pg\.sql$/ };

/**
 * Reads numbered migrations of one dialect from a folder, in order: `NNN-name.sql` (SQLite, the
 * default) or `NNN-name.pg.sql` (PostgreSQL; both sets live side by side with the same numbers and
 * names). Numbers must run 1, 2, 3, … without a gap, so a missing or misnumbered file is caught
 * before anything is applied.
 */
export function readMigrations(dir: string, dialect: MigrationDialect = 'sqlite'): Migration[] {
  const migrations = readdirSync(dir)
    .flatMap((f) => {
      const m = FILE_NAME[dialect].exec(f);
      return m ? [{ file: f, version: Number(m[1]), name: m[2]! }] : [];
    })
    .sort((a, b) => a.version - b.version)
    .map(({ file, version, name }) => ({ version, name, sql: readFileSync(join(dir, file), 'utf8') }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new DatabaseError('MIGRATION_GAP', `migration ${m.version}-${m.name} found where ${i + 1} was expected in ${dir}`);
  });
  return migrations;
}

/**
 * Brings the database to the newest schema: each migration not yet recorded in
 * `schema_migrations` runs in its own transaction together with its record. A database newer than
 * this code is refused rather than used.
 */
export function migrate(db: SqlDatabase, migrations: Migration[]): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => r.version));
  const newest = Math.max(0, ...applied);
  if (newest > migrations.length) throw new DatabaseError('NEWER_SCHEMA', `database is at schema ${newest}, this code knows ${migrations.length}`);
  const ran: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      });
    } catch (err) {
      throw new DatabaseError('MIGRATION_FAILED', `migration ${m.version}-${m.name} failed: ${(err as Error).message}`);
    }
    ran.push(m.version);
  }
  return ran;
}
