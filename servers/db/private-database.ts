import { chmodSync, closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '../../protocol/secrets/index.ts';
import { SqlDatabase } from './sql-database.ts';

/**
 * Opens a database that holds keys or personal data: its directory 0700, the file created 0600
 * before SQLite opens it. SQLite creates the `-wal` and `-shm` files with the permissions of the
 * database file, so they are 0600 too.
 */
export function openPrivateDatabase(file: string): SqlDatabase {
  if (file !== ':memory:' && !file.startsWith('file:')) {
    ensurePrivateDir(dirname(file));
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  return new SqlDatabase(file);
}
