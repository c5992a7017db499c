import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseError, migrate, readMigrations, SqlDatabase } from './index.ts';

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cardlab-mig-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

describe('SqlDatabase (libsql) and numbered migrations', () => {
  it('round-trips blobs as Uint8Array, including a lone blob parameter and a subarray view', () => {
    const db = new SqlDatabase(':memory:');
    db.exec('CREATE TABLE t (b BLOB)');
    const big = Uint8Array.of(9, 9, 1, 2, 3, 9);
    db.run('INSERT INTO t (b) VALUES (?)', [big.subarray(2, 5)]);
    expect(db.get('SELECT b FROM t WHERE b = ?', [Uint8Array.of(1, 2, 3)])).toEqual({ b: Uint8Array.of(1, 2, 3) });
    db.close();
  });

  it('writes a file database in WAL mode, fsyncing at checkpoints (NORMAL) unless asked to at every commit (FULL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cardlab-sync-'));
    try {
      const normal = new SqlDatabase(join(dir, 'a.db'));
      expect(normal.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
      expect(normal.get('PRAGMA synchronous')).toEqual({ synchronous: 1 });
      normal.close();
      const full = new SqlDatabase(join(dir, 'b.db'), { synchronous: 'FULL' });
      expect(full.get('PRAGMA synchronous')).toEqual({ synchronous: 2 });
      full.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls a transaction back as a whole when it throws', () => {
    const db = new SqlDatabase(':memory:');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY)');
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO t (a) VALUES (1)');
        db.transaction(() => db.run('INSERT INTO t (a) VALUES (2)'));
        db.run('INSERT INTO t (a) VALUES (1)');
      }),
    ).toThrow(/UNIQUE/);
    expect(db.all('SELECT * FROM t')).toEqual([]);
    db.close();
  });

  it('applies migrations in order once, and refuses a gap or a database newer than the code', () => {
    const dir = migrationsDir({ '001-a.sql': 'CREATE TABLE a (x INTEGER);', '002-b.sql': 'CREATE TABLE b (y INTEGER);' });
    try {
      const db = new SqlDatabase(':memory:');
      expect(migrate(db, readMigrations(dir))).toEqual([1, 2]);
      expect(migrate(db, readMigrations(dir))).toEqual([]);
      expect(() => migrate(db, readMigrations(dir).slice(0, 1))).toThrow(DatabaseError);
      writeFileSync(join(dir, '004-d.sql'), 'SELECT 1;');
      expect(() => readMigrations(dir)).toThrow(/migration 4-d found where 3 was expected/);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no trace of a migration that fails half-way', () => {
    const dir = migrationsDir({ '001-a.sql': 'CREATE TABLE a (x INTEGER); INSERT INTO nowhere VALUES (1);' });
    try {
      const db = new SqlDatabase(':memory:');
      expect(() => migrate(db, readMigrations(dir))).toThrow(/migration 1-a failed/);
      expect(db.all("SELECT name FROM sqlite_master WHERE name = 'a'")).toEqual([]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
