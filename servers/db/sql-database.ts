import Database from 'libsql';

/** A value SQLite stores: numbers, text, blobs (Uint8Array in, Uint8Array out) and NULL. */
export type SqlValue = number | bigint | string | Uint8Array | null;
export type SqlRow = Record<string, SqlValue>;

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly code: 'MIGRATION_GAP' | 'MIGRATION_FAILED' | 'NEWER_SCHEMA' | 'CONSTRAINT' | 'CLOSED',
    message: string,
  ) {
    super(message);
  }
}

function toParam(v: SqlValue | boolean | undefined): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  // libsql takes blobs as Buffer; a plain Uint8Array view may carry a larger ArrayBuffer.
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

function fromRow(row: Record<string, unknown>): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === '_metadata') continue;
    // Blobs arrive as ArrayBuffer or Buffer depending on the statement; hand out plain Uint8Arrays.
    if (v instanceof ArrayBuffer) out[k] = new Uint8Array(v);
    else if (v instanceof Uint8Array) out[k] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    else out[k] = v as SqlValue;
  }
  return out;
}

/**
 * A small synchronous facade over libsql (better-sqlite3's API): prepared statements cached by
 * text, parameters always bound positionally (libsql reads a lone object argument as named
 * parameters and aborts the process on a lone blob), blobs returned as Uint8Array, and
 * `transaction()` that commits or rolls back as a whole — nested calls join the outer one.
 */
export class SqlDatabase {
  readonly #db: InstanceType<typeof Database>;
  readonly #statements = new Map<string, ReturnType<InstanceType<typeof Database>['prepare']>>();
  #closed = false;

  /**
   * `synchronous`: `NORMAL` (default) — in WAL mode a commit is written to the WAL but fsync'd only
   * at checkpoints: a crashed or killed process loses nothing, a power loss or OS crash may lose the
   * last commits but never corrupts the database (SQLite's recommendation for WAL). `FULL` fsyncs
   * every commit: ~0.6 ms of blocked event loop per commit on this machine's disk, the largest cost
   * of a provisioning flow. Ignored for `:memory:`.
   */
  constructor(
    readonly file: string,
    options: { synchronous?: 'NORMAL' | 'FULL' } = {},
  ) {
    this.#db = new Database(file, { timeout: 5000 });
    this.#db.exec('PRAGMA foreign_keys = ON');
    if (file !== ':memory:') {
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    }
  }

  #prepare(sql: string) {
    if (this.#closed) throw new DatabaseError('CLOSED', 'database is closed');
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Every row of a query. */
  all<T extends object = SqlRow>(sql: string, params: Array<SqlValue | boolean | undefined> = []): T[] {
    return (this.#prepare(sql).all(params.map(toParam)) as Record<string, unknown>[]).map(fromRow) as T[];
  }

  /** The first row of a query, or undefined. */
  get<T extends object = SqlRow>(sql: string, params: Array<SqlValue | boolean | undefined> = []): T | undefined {
    const row = this.#prepare(sql).get(params.map(toParam)) as Record<string, unknown> | undefined;
    return row ? (fromRow(row) as T) : undefined;
  }

  /** Runs a statement; returns the number of rows changed. */
  run(sql: string, params: Array<SqlValue | boolean | undefined> = []): number {
    return this.#prepare(sql).run(params.map(toParam)).changes;
  }

  /** Runs several statements of a migration. */
  exec(sql: string): void {
    if (this.#closed) throw new DatabaseError('CLOSED', 'database is closed');
    this.#db.exec(sql);
  }

  /** Runs `fn` in one transaction (BEGIN IMMEDIATE): all its writes or none. */
  transaction<T>(fn: () => T): T {
    if (this.#closed) throw new DatabaseError('CLOSED', 'database is closed');
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn).immediate();
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }
}

/** True when `err` is SQLite refusing a UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
