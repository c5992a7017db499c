import { fileURLToPath } from 'node:url';
import { SecretBox } from '../../../protocol/secrets/index.ts';
import { migratePg, PgDatabase, pgUniqueViolation, readMigrations, type PgQueries } from '../../db/index.ts';
import { bytes, SealedColumns, FINAL_STATES, num, OPEN_STATES, opt, place, SEALED, str, toApplication, toCard, toOrder, toOutbox } from './issuer-rows.ts';
import {
  StoreError,
  type ApplicationRecord,
  type CardContentRecord,
  type CardholderRecord,
  type CardRecord,
  type CardStatus,
  type ConfirmInstall,
  type InstallOrderRecord,
  type IssuerStore,
  type NotificationState,
  type OrderEvent,
  type OrderState,
  type OutboxRecord,
  type ProviderRecord,
  type SeramSessionRecord,
} from './issuer-store.ts';

const MIGRATIONS = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)), 'postgres');
const TABLES = ['install_orders', 'card_contents', 'order_events', 'applications', 'cardholders', 'providers', 'outbox', 'cards'];

/**
 * Which field a PostgreSQL UNIQUE refusal names, as the SQLite store names it: `cards_cin_key` → `cin`,
 * a primary key → `id`, the one-open-order index → `open_order`.
 */
function fieldOf(constraint: string): string {
  if (constraint === 'install_orders_one_open') return 'open_order';
  if (constraint.endsWith('_pkey')) return 'id';
  const table = TABLES.find((t) => constraint.startsWith(`${t}_`));
  return table && constraint.endsWith('_key') ? constraint.slice(table.length + 1, -4) : 'id';
}

/** Runs a write, turning a UNIQUE violation into StoreError DUPLICATE naming the field. */
async function unique<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const violation = pgUniqueViolation(err);
    if (violation) {
      const f = fieldOf(violation.constraint);
      throw new StoreError('DUPLICATE', `${f} already exists`, f);
    }
    throw err;
  }
}

export interface PgIssuerStoreOptions {
  /** Seals card keys and provider secrets at rest (protocol/secrets), exactly as the SQLite store does. */
  secrets: SecretBox;
  /** The PostgreSQL schema of the issuer's tables (default `issuer`; the provider's default is `provider`, so both can share a database). */
  schema?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /**
   * How long a notification handed out by `dueNotifications` is kept from other instances (default
   * 60 s): the worker records its outcome long before; if the instance died, another sends it then.
   */
  claimMs?: number;
}

/**
 * The issuer store on PostgreSQL (`pg`), for several stateless issuer instances over one database.
 * The same schema as the SQLite store (`NNN-name.pg.sql` migrations), the same sealing of card keys and
 * provider secrets, the same answers. Every multi-row write is one transaction whose row locks or
 * conditional updates (`… WHERE state = $from`) keep two instances from both moving an order; the
 * outbox hands each due notification to one instance at a time (`FOR UPDATE SKIP LOCKED`, then a claim
 * of `claimMs`). Open it with `PgIssuerStore.open(url, options)`: it migrates and re-seals first.
 */
export class PgIssuerStore implements IssuerStore {
  readonly #sealed: SealedColumns;
  readonly #claimMs: number;
  readonly #applications = new Map<string, ApplicationRecord>();

  private constructor(
    readonly db: PgDatabase,
    options: PgIssuerStoreOptions,
  ) {
    this.#sealed = new SealedColumns(options.secrets);
    this.#claimMs = options.claimMs ?? 60_000;
  }

  /** Connects, migrates the schema and re-seals values of older data keys; the store is then ready. */
  static async open(url: string, options: PgIssuerStoreOptions): Promise<PgIssuerStore> {
    const db = new PgDatabase(url, { schema: options.schema ?? 'issuer', ...(options.maxConnections !== undefined ? { max: options.maxConnections } : {}) });
    try {
      await migratePg(db, MIGRATIONS);
      const store = new PgIssuerStore(db, options);
      await store.#reseal();
      return store;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.db.get('SELECT 1');
  }

  /** Seals plain values and re-seals values of older data keys, in one transaction (instances starting together take turns). */
  async #reseal(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.get('SELECT pg_advisory_xact_lock(hashtext($1))', [`cardlab reseal ${this.db.schema}`]);
      for (const [table, spec] of Object.entries(SEALED)) {
        for (const row of await tx.all(`SELECT ${spec.id}, ${spec.columns.join(', ')} FROM ${table}`)) {
          const id = str(row[spec.id]);
          for (const column of spec.columns) {
            const value = bytes(row[column]);
            const at = place(table, id, column);
            const next = this.#sealed.resealed(value, at);
            if (!next) continue;
            await tx.run(`UPDATE ${table} SET ${column} = $1 WHERE ${spec.id} = $2`, [next, id]);
          }
        }
      }
    });
  }

  async createCardholder(c: CardholderRecord): Promise<void> {
    await unique(() => this.db.run('INSERT INTO cardholders (id, name, address, created_at) VALUES ($1, $2, $3, $4)', [c.id, c.name, c.address, c.createdAt]));
  }

  async getCardholder(id: string): Promise<CardholderRecord | undefined> {
    const r = await this.db.get('SELECT * FROM cardholders WHERE id = $1', [id]);
    return r && { id: str(r.id), name: str(r.name), address: str(r.address), createdAt: num(r.created_at) };
  }

  async createCard(c: CardRecord): Promise<void> {
    await unique(() =>
      this.db.run(
        `INSERT INTO cards (id, cardholder_id, iin, cin, ic_serial, isd_aid, kvn, key_enc, key_mac, key_dek, key_source, curve, public_key, certificate, status,
           free_nvm, free_vm, installed_count, collated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
        [c.id, c.cardholderId, c.iin, c.cin, c.icSerial, c.isdAid, c.keys.kvn, this.#sealed.seal('cards', c.id, 'key_enc', c.keys.enc), this.#sealed.seal('cards', c.id, 'key_mac', c.keys.mac),
          this.#sealed.seal('cards', c.id, 'key_dek', c.keys.dek), c.keySource, c.curve, c.publicKey, c.certificate, c.status, c.freeNvm, c.freeVm, c.installedCount, c.collatedAt, c.createdAt],
      ),
    );
  }

  async getCard(id: string): Promise<CardRecord | undefined> {
    const r = await this.db.get('SELECT * FROM cards WHERE id = $1', [id]);
    return r && toCard(r, this.#sealed.open);
  }

  async getCardByCin(cin: string): Promise<CardRecord | undefined> {
    const r = await this.db.get('SELECT * FROM cards WHERE cin = $1', [cin]);
    return r && toCard(r, this.#sealed.open);
  }

  async setCardStatus(id: string, status: CardStatus): Promise<void> {
    if ((await this.db.run('UPDATE cards SET status = $1 WHERE id = $2', [status, id])) === 0) throw new StoreError('NOT_FOUND', `no card ${id}`);
  }

  async listCardContents(cardId: string): Promise<CardContentRecord[]> {
    return (await this.db.all('SELECT * FROM card_contents WHERE card_id = $1 ORDER BY installed_at, aid', [cardId])).map((r) => ({
      aid: str(r.aid),
      kind: str(r.kind) as CardContentRecord['kind'],
      loadFileAid: opt(r.load_file_aid),
      orderId: opt(r.order_id),
      installedAt: num(r.installed_at),
    }));
  }

  async createProvider(p: ProviderRecord): Promise<void> {
    await unique(() =>
      this.db.run('INSERT INTO providers (id, name, notification_url, hmac_secret, created_at) VALUES ($1, $2, $3, $4, $5)', [p.id, p.name, p.notificationUrl, this.#sealed.seal('providers', p.id, 'hmac_secret', p.hmacSecret), p.createdAt]),
    );
  }

  async getProvider(id: string): Promise<ProviderRecord | undefined> {
    const r = await this.db.get('SELECT * FROM providers WHERE id = $1', [id]);
    return r && { id: str(r.id), name: str(r.name), notificationUrl: str(r.notification_url), hmacSecret: this.#sealed.open(bytes(r.hmac_secret), place('providers', id, 'hmac_secret')), createdAt: num(r.created_at) };
  }

  async setProviderNotificationUrl(id: string, url: string): Promise<void> {
    if ((await this.db.run('UPDATE providers SET notification_url = $1 WHERE id = $2', [url, id])) === 0) throw new StoreError('NOT_FOUND', `no provider ${id}`);
  }

  async createApplication(a: ApplicationRecord): Promise<void> {
    await unique(() =>
      this.db.run(
        `INSERT INTO applications (id, provider_id, name, package_aid, package_version, applet_aids, module_aid, instance_aid, privileges, install_params,
           cap, lfdb, lfdb_hash, dap_signature, memory_needed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [a.id, a.providerId, a.name, a.packageAid, a.packageVersion, JSON.stringify(a.appletAids), a.moduleAid, a.instanceAid, a.privileges, a.installParams,
          a.cap, a.lfdb, a.lfdbHash, a.dapSignature, a.memoryNeeded, a.createdAt],
      ),
    );
  }

  async getApplication(id: string): Promise<ApplicationRecord | undefined> {
    const cached = this.#applications.get(id);
    if (cached) return cached;
    const r = await this.db.get('SELECT * FROM applications WHERE id = $1', [id]);
    return r && this.#remember(toApplication(r));
  }

  async getApplicationByPackageAid(packageAid: string): Promise<ApplicationRecord | undefined> {
    for (const a of this.#applications.values()) if (a.packageAid === packageAid) return a;
    const r = await this.db.get('SELECT * FROM applications WHERE package_aid = $1', [packageAid]);
    return r && this.#remember(toApplication(r));
  }

  /** An application never changes once uploaded (there is no update), on any instance: its record is read once. */
  #remember(a: ApplicationRecord): ApplicationRecord {
    if (this.#applications.size < 256) this.#applications.set(a.id, a);
    return a;
  }

  async listApplications(): Promise<ApplicationRecord[]> {
    return (await this.db.all('SELECT * FROM applications ORDER BY created_at, id')).map(toApplication);
  }

  async createAuthorisedOrder(o: Omit<InstallOrderRecord, 'state' | 'failureCode' | 'failureDetail' | 'confirmation' | 'confirmationCounter' | 'updatedAt'>): Promise<void> {
    // The UNIQUE nonce and the partial UNIQUE index on open orders decide a race between instances.
    await unique(() =>
      this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO install_orders (id, card_id, application_id, provider_id, service_id, nonce, request, request_signature, expires_at, session_id, state, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'requested', $11, $12)`,
          [o.id, o.cardId, o.applicationId, o.providerId, o.serviceId, o.nonce, o.request, o.requestSignature, o.expiresAt, o.sessionId, o.createdAt, o.createdAt],
        );
        await event(tx, o.id, null, 'requested', 'card-signed request received', o.createdAt);
        await move(tx, o.id, 'requested', 'authorised', 'chain, signature, card, freshness and replay checks passed', o.createdAt);
      }),
    );
  }

  async getOrder(id: string): Promise<InstallOrderRecord | undefined> {
    const r = await this.db.get('SELECT * FROM install_orders WHERE id = $1', [id]);
    return r && toOrder(r);
  }

  async getOrderBySession(sessionId: string): Promise<InstallOrderRecord | undefined> {
    const r = await this.db.get('SELECT * FROM install_orders WHERE session_id = $1', [sessionId]);
    return r && toOrder(r);
  }

  async listOrders(filter: { cardId?: string; state?: OrderState } = {}): Promise<InstallOrderRecord[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.cardId !== undefined) {
      params.push(filter.cardId);
      where.push(`card_id = $${params.length}`);
    }
    if (filter.state !== undefined) {
      params.push(filter.state);
      where.push(`state = $${params.length}`);
    }
    return (await this.db.all(`SELECT * FROM install_orders${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`, params)).map(toOrder);
  }

  async orderEvents(orderId: string): Promise<OrderEvent[]> {
    return (await this.db.all('SELECT * FROM order_events WHERE order_id = $1 ORDER BY id', [orderId])).map((r) => ({
      fromState: opt<OrderState>(r.from_state),
      toState: str(r.to_state) as OrderState,
      detail: opt(r.detail),
      at: num(r.at),
    }));
  }

  async transitionOrder(orderId: string, from: OrderState, to: OrderState, detail: string | null, at: number): Promise<void> {
    await this.db.transaction((tx) => move(tx, orderId, from, to, detail, at));
  }

  async failOrder(orderId: string, code: string, detail: string, at: number, resources?: { freeNvm: number; freeVm: number; installedCount: number }): Promise<void> {
    await this.db.transaction(async (tx) => {
      // The row lock holds the order in the state read until this transaction ends.
      const r = await tx.get('SELECT state, card_id FROM install_orders WHERE id = $1 FOR UPDATE', [orderId]);
      if (!r) throw new StoreError('NOT_FOUND', `no order ${orderId}`);
      const from = str(r.state) as OrderState;
      if (FINAL_STATES.includes(from)) throw new StoreError('STATE_CONFLICT', `order ${orderId} is already ${from}`);
      await move(tx, orderId, from, 'failed', `${code}: ${detail}`, at, { failure_code: code, failure_detail: detail });
      if (resources) await tx.run('UPDATE cards SET free_nvm = $1, free_vm = $2, installed_count = $3 WHERE id = $4', [resources.freeNvm, resources.freeVm, resources.installedCount, str(r.card_id)]);
    });
  }

  async confirmInstall(c: ConfirmInstall): Promise<void> {
    await this.db.transaction(async (tx) => {
      const order = await tx.get('SELECT card_id FROM install_orders WHERE id = $1 FOR UPDATE', [c.orderId]);
      if (!order) throw new StoreError('NOT_FOUND', `no order ${c.orderId}`);
      const cardId = str(order.card_id);
      await move(tx, c.orderId, 'authorised', 'delivered', c.deliveredDetail, c.at);
      await move(tx, c.orderId, 'delivered', 'confirmed', `confirmation ${c.confirmationCounter} verified`, c.at, { confirmation: c.confirmation, confirmation_counter: c.confirmationCounter });
      for (const item of c.contents) {
        await tx.run(
          `INSERT INTO card_contents (card_id, aid, kind, load_file_aid, order_id, installed_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (card_id, aid) DO UPDATE SET kind = excluded.kind, load_file_aid = excluded.load_file_aid, order_id = excluded.order_id, installed_at = excluded.installed_at`,
          [cardId, item.aid, item.kind, item.loadFileAid, c.orderId, c.at],
        );
      }
      await tx.run('UPDATE cards SET free_nvm = $1, free_vm = $2, installed_count = $3 WHERE id = $4', [c.resources.freeNvm, c.resources.freeVm, c.resources.installedCount, cardId]);
      await tx.run('INSERT INTO outbox (id, order_id, provider_id, body, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6)', [
        c.notification.id,
        c.orderId,
        c.notification.providerId,
        c.notification.body,
        c.at,
        c.at,
      ]);
    });
  }

  async expireOrders(nowSeconds: number, at: number): Promise<string[]> {
    // Nearly always nothing is due: a read answers that without a write transaction.
    if (!(await this.db.get(`SELECT 1 AS due FROM install_orders WHERE state IN ${OPEN_STATES} AND expires_at <= $1 LIMIT 1`, [nowSeconds]))) return [];
    return this.db.transaction(async (tx) => {
      // An order another instance is moving (or expiring) right now is left to it.
      const due = await tx.all(`SELECT id, state FROM install_orders WHERE state IN ${OPEN_STATES} AND expires_at <= $1 ORDER BY created_at, id FOR UPDATE SKIP LOCKED`, [nowSeconds]);
      const detail = 'the order expired before the card confirmed the install';
      for (const r of due) {
        await move(tx, str(r.id), str(r.state) as OrderState, 'failed', `order_expired: ${detail}`, at, { failure_code: 'order_expired', failure_detail: detail });
      }
      return due.map((r) => str(r.id));
    });
  }

  async removeCardContent(cardId: string, loadFileAid: string): Promise<number> {
    return this.db.run('DELETE FROM card_contents WHERE card_id = $1 AND (aid = $2 OR load_file_aid = $2)', [cardId, loadFileAid]);
  }

  async listNotifications(filter: { state?: NotificationState } = {}): Promise<OutboxRecord[]> {
    const where = {
      pending: 'WHERE delivered_at IS NULL AND dead_at IS NULL',
      delivered: 'WHERE delivered_at IS NOT NULL',
      dead: 'WHERE dead_at IS NOT NULL',
    }[filter.state ?? 'pending'];
    return (await this.db.all(`SELECT * FROM outbox ${filter.state ? where : ''} ORDER BY created_at, id`)).map(toOutbox);
  }

  async markNotificationDead(id: string, r: { attempts: number; at: number; error: string }): Promise<void> {
    await this.db.run('UPDATE outbox SET attempts = $1, dead_at = $2, last_error = $3 WHERE id = $4 AND delivered_at IS NULL', [r.attempts, r.at, r.error, id]);
  }

  async retryNotification(id: string, at: number): Promise<boolean> {
    return (await this.db.run('UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = $1 WHERE id = $2 AND dead_at IS NOT NULL AND delivered_at IS NULL', [at, id])) === 1;
  }

  /**
   * Claims the due notifications for this instance: rows another instance is claiming are skipped
   * (`FOR UPDATE SKIP LOCKED`), and the claimed ones are not due again for `claimMs` — the worker's
   * outcome (delivered, next attempt, dead) replaces the claim. Answers them as they were, oldest first.
   */
  async dueNotifications(now: number, limit: number): Promise<OutboxRecord[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all(
        'SELECT * FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED',
        [now, limit],
      );
      if (rows.length > 0) await tx.run('UPDATE outbox SET next_attempt_at = $1 WHERE id = ANY($2::text[])', [now + this.#claimMs, rows.map((r) => str(r.id))]);
      return rows.map(toOutbox);
    });
  }

  async getNotification(id: string): Promise<OutboxRecord | undefined> {
    const r = await this.db.get('SELECT * FROM outbox WHERE id = $1', [id]);
    return r && toOutbox(r);
  }

  async markNotificationDelivered(id: string, at: number): Promise<void> {
    await this.db.run('UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2 AND delivered_at IS NULL', [at, id]);
  }

  async markNotificationAttempt(id: string, r: { attempts: number; nextAttemptAt: number; error: string }): Promise<void> {
    await this.db.run('UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4 AND delivered_at IS NULL AND dead_at IS NULL', [r.attempts, r.nextAttemptAt, r.error, id]);
  }

  async putSeramSession(s: Omit<SeramSessionRecord, 'version'>, expectedVersion: number | null): Promise<number | undefined> {
    const sealed = this.#sealed.seal('seram_sessions', s.sessionId, 'state', s.state);
    const row =
      expectedVersion === null
        ? await this.db.get<{ version: number }>(
            `INSERT INTO seram_sessions (session_id, order_id, state, version, last_seen) VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (session_id) DO UPDATE SET order_id = excluded.order_id, state = excluded.state, version = seram_sessions.version + 1, last_seen = excluded.last_seen
             RETURNING version`,
            [s.sessionId, s.orderId, sealed, s.lastSeen],
          )
        : // A conditional update: of two instances saving the same version, one wins.
          await this.db.get<{ version: number }>('UPDATE seram_sessions SET state = $1, version = version + 1, last_seen = $2 WHERE session_id = $3 AND version = $4 RETURNING version', [
            sealed,
            s.lastSeen,
            s.sessionId,
            expectedVersion,
          ]);
    return row?.version;
  }

  async getSeramSession(sessionId: string): Promise<SeramSessionRecord | undefined> {
    const r = await this.db.get('SELECT * FROM seram_sessions WHERE session_id = $1', [sessionId]);
    return r && { sessionId, orderId: str(r.order_id), state: this.#sealed.box.open(bytes(r.state), place('seram_sessions', sessionId, 'state')), version: num(r.version), lastSeen: num(r.last_seen) };
  }

  async deleteSeramSession(sessionId: string): Promise<void> {
    await this.db.run('DELETE FROM seram_sessions WHERE session_id = $1', [sessionId]);
  }

  async sweepSeramSessions(before: number): Promise<number> {
    return this.db.run('DELETE FROM seram_sessions WHERE last_seen < $1', [before]);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

async function event(tx: PgQueries, orderId: string, from: OrderState | null, to: OrderState, detail: string | null, at: number): Promise<void> {
  await tx.run('INSERT INTO order_events (order_id, from_state, to_state, detail, at) VALUES ($1, $2, $3, $4, $5)', [orderId, from, to, detail, at]);
}

/** Moves an order by a conditional update (`WHERE state = from`): of two instances moving it, one wins, the other gets STATE_CONFLICT. */
async function move(tx: PgQueries, orderId: string, from: OrderState, to: OrderState, detail: string | null, at: number, extra: Record<string, string | number | Uint8Array> = {}): Promise<void> {
  const columns = Object.keys(extra);
  const set = columns.map((c, i) => `, ${c} = $${i + 5}`).join('');
  const changed = await tx.run(`UPDATE install_orders SET state = $1, updated_at = $2${set} WHERE id = $3 AND state = $4`, [to, at, orderId, from, ...Object.values(extra)]);
  if (changed === 0) throw new StoreError('STATE_CONFLICT', `order ${orderId} is not ${from}`);
  await event(tx, orderId, from, to, detail, at);
}
