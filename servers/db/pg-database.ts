import pg from 'pg';
import { DatabaseError, type SqlRow, type SqlValue } from './sql-database.ts';

/** What the PostgreSQL stores read and write: the SQLite facade's values (bigint columns read as numbers, bytea as Uint8Array), and text arrays (`= ANY($1)`). */
export type PgParam = SqlValue | boolean | undefined | readonly string[];

/** The queries of a database or of one transaction on it; `$1`, `$2`, … placeholders. */
export interface PgQueries {
  /** Every row of a query. */
  all<T extends object = SqlRow>(sql: string, params?: PgParam[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T extends object = SqlRow>(sql: string, params?: PgParam[]): Promise<T | undefined>;
  /** Runs a statement; answers the number of rows it changed. */
  run(sql: string, params?: PgParam[]): Promise<number>;
}

const INT8 = 20;
const BYTEA = 17;

/**
 * Type parsers of this pool alone (pg's global table stays as it is): `bigint` columns — unix
 * milliseconds, counters — become numbers, refused beyond 2^53 rather than rounded; `bytea` becomes a
 * plain Uint8Array of its own, as the SQLite facade hands out.
 */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) {
      return (text: string) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n)) throw new DatabaseError('CONSTRAINT', `bigint ${text} is beyond a safe JavaScript integer`);
        return n;
      };
    }
    if (oid === BYTEA) {
      const parse = pg.types.getTypeParser(BYTEA, 'text') as (text: string) => Buffer;
      return (text: string) => new Uint8Array(parse(text));
    }
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

function toParam(v: PgParam): unknown {
  if (v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function queries(client: pg.Pool | pg.PoolClient): PgQueries {
  const query = (sql: string, params: PgParam[] = []) => client.query(sql, params.map(toParam));
  return {
    all: async <T extends object>(sql: string, params?: PgParam[]) => (await query(sql, params)).rows as T[],
    get: async <T extends object>(sql: string, params?: PgParam[]) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: PgParam[]) => (await query(sql, params)).rowCount ?? 0,
  };
}

/** SQLSTATE codes of a transaction PostgreSQL aborted to keep it correct: run it again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

export interface PgDatabaseOptions {
  /**
   * The PostgreSQL schema (namespace) of this store's tables, created by `migrate`: the issuer and the
   * provider can share one database (`issuer`, `provider`), and tests give each store a schema of its own.
   */
  schema: string;
  /** Connections in the pool (default 10). */
  max?: number;
}

/**
 * A small facade over a `pg` pool, shaped like `SqlDatabase`: positional parameters, blobs as
 * Uint8Array, bigint as number, and `transaction()` on one connection (BEGIN … COMMIT, ROLLBACK when
 * `fn` throws; run again, up to 3 times, when PostgreSQL aborts it for a deadlock or a serialization
 * failure — so `fn` must only write through `tx`). Every connection's `search_path` is the store's schema.
 */
export class PgDatabase implements PgQueries {
  readonly #pool: pg.Pool;
  readonly #queries: PgQueries;
  #closed = false;

  constructor(
    readonly url: string,
    readonly options: PgDatabaseOptions,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new DatabaseError('CONSTRAINT', `schema name ${options.schema} is not a plain lower-case identifier`);
    this.#pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: TYPES, options: `-c search_path=${options.schema}` });
    // An idle connection the server ends (a restart, an administrator) must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined);
    this.#queries = queries(this.#pool);
  }

  get schema(): string {
    return this.options.schema;
  }

  #check(): void {
    if (this.#closed) throw new DatabaseError('CLOSED', 'database is closed');
  }

  all<T extends object = SqlRow>(sql: string, params?: PgParam[]): Promise<T[]> {
    this.#check();
    return this.#queries.all<T>(sql, params);
  }

  get<T extends object = SqlRow>(sql: string, params?: PgParam[]): Promise<T | undefined> {
    this.#check();
    return this.#queries.get<T>(sql, params);
  }

  run(sql: string, params?: PgParam[]): Promise<number> {
    this.#check();
    return this.#queries.run(sql, params);
  }

  /** Runs several statements without parameters (a migration). */
  async exec(sql: string): Promise<void> {
    this.#check();
    await this.#pool.query(sql);
  }

  /** Runs `fn` in one transaction on one connection: all its writes or none. */
  async transaction<T>(fn: (tx: PgQueries) => Promise<T>): Promise<T> {
    this.#check();
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(queries(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        if (attempt < 3 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

/** The constraint PostgreSQL names when it refuses a UNIQUE or PRIMARY KEY (SQLSTATE 23505), else undefined. */
export function pgUniqueViolation(err: unknown): { constraint: string } | undefined {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' ? { constraint: e.constraint ?? '' } : undefined;
}

/** True when `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
