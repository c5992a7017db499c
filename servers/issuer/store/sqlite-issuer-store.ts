import { fileURLToPath } from 'node:url';
import { SecretBox } from '../../../protocol/secrets/index.ts';
import { isUniqueViolation, migrate, openPrivateDatabase, readMigrations, SqlDatabase } from '../../db/index.ts';
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
  type OrderEvent,
  type OrderState,
  type NotificationState,
  type OutboxRecord,
  type ProviderRecord,
  type SeramSessionRecord,
} from './issuer-store.ts';

const MIGRATIONS = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)));

/** Runs an insert, turning a UNIQUE violation into StoreError DUPLICATE naming `field`. */
function unique(field: (message: string) => string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (isUniqueViolation(err)) {
      const f = field((err as Error).message);
      throw new StoreError('DUPLICATE', `${f} already exists`, f);
    }
    throw err;
  }
}

/**
 * Which column a SQLite UNIQUE message names (`UNIQUE constraint failed: install_orders.nonce`); the
 * one-open-order index (card_id, application_id) is `open_order`.
 */
const columnOf = (message: string) => {
  if (/install_orders\.card_id, install_orders\.application_id/.test(message)) return 'open_order';
  return /failed: \w+\.(\w+)/.exec(message)?.[1] ?? 'id';
};

export interface SqliteIssuerStoreOptions {
  /** Seals card keys and provider secrets at rest (protocol/secrets). */
  secrets: SecretBox;
}

/**
 * The issuer store on embedded SQLite (libsql): a file by default (created 0600 in a 0700 directory),
 * `:memory:` for tests. Card keys and provider secrets are sealed with `secrets`; opening re-seals any
 * value still plain or sealed under an older data key (key rotation).
 */
export class SqliteIssuerStore implements IssuerStore {
  readonly db: SqlDatabase;

  async ping(): Promise<void> {
    this.db.get('SELECT 1');
  }
  readonly #sealed: SealedColumns;
  readonly #applications = new Map<string, ApplicationRecord>();

  constructor(file: string, options: SqliteIssuerStoreOptions) {
    this.db = openPrivateDatabase(file);
    this.#sealed = new SealedColumns(options.secrets);
    migrate(this.db, MIGRATIONS);
    this.#reseal();
  }

  /** Seals plain values and re-seals values of older data keys, in one transaction. */
  #reseal(): void {
    this.db.transaction(() => {
      for (const [table, spec] of Object.entries(SEALED)) {
        for (const row of this.db.all(`SELECT ${spec.id}, ${spec.columns.join(', ')} FROM ${table}`)) {
          const id = str(row[spec.id]);
          for (const column of spec.columns) {
            const value = bytes(row[column]);
            const at = place(table, id, column);
            const next = this.#sealed.resealed(value, at);
            if (!next) continue;
            this.db.run(`UPDATE ${table} SET ${column} = ? WHERE ${spec.id} = ?`, [next, id]);
          }
        }
      }
    });
  }

  async createCardholder(c: CardholderRecord): Promise<void> {
    unique(columnOf, () => this.db.run('INSERT INTO cardholders (id, name, address, created_at) VALUES (?, ?, ?, ?)', [c.id, c.name, c.address, c.createdAt]));
  }

  async getCardholder(id: string): Promise<CardholderRecord | undefined> {
    const r = this.db.get('SELECT * FROM cardholders WHERE id = ?', [id]);
    return r && { id: str(r.id), name: str(r.name), address: str(r.address), createdAt: num(r.created_at) };
  }

  async createCard(c: CardRecord): Promise<void> {
    unique(columnOf, () =>
      this.db.run(
        `INSERT INTO cards (id, cardholder_id, iin, cin, ic_serial, isd_aid, kvn, key_enc, key_mac, key_dek, key_source, curve, public_key, certificate, status,
           free_nvm, free_vm, installed_count, collated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [c.id, c.cardholderId, c.iin, c.cin, c.icSerial, c.isdAid, c.keys.kvn, this.#sealed.seal('cards', c.id, 'key_enc', c.keys.enc), this.#sealed.seal('cards', c.id, 'key_mac', c.keys.mac),
          this.#sealed.seal('cards', c.id, 'key_dek', c.keys.dek), c.keySource, c.curve, c.publicKey, c.certificate, c.status, c.freeNvm, c.freeVm, c.installedCount, c.collatedAt, c.createdAt],
      ),
    );
  }

  async getCard(id: string): Promise<CardRecord | undefined> {
    const r = this.db.get('SELECT * FROM cards WHERE id = ?', [id]);
    return r && toCard(r, this.#sealed.open);
  }

  async getCardByCin(cin: string): Promise<CardRecord | undefined> {
    const r = this.db.get('SELECT * FROM cards WHERE cin = ?', [cin]);
    return r && toCard(r, this.#sealed.open);
  }

  async setCardStatus(id: string, status: CardStatus): Promise<void> {
    if (this.db.run('UPDATE cards SET status = ? WHERE id = ?', [status, id]) === 0) throw new StoreError('NOT_FOUND', `no card ${id}`);
  }

  async listCardContents(cardId: string): Promise<CardContentRecord[]> {
    return this.db
      .all('SELECT * FROM card_contents WHERE card_id = ? ORDER BY installed_at, aid', [cardId])
      .map((r) => ({ aid: str(r.aid), kind: str(r.kind) as CardContentRecord['kind'], loadFileAid: opt(r.load_file_aid), orderId: opt(r.order_id), installedAt: num(r.installed_at) }));
  }

  async createProvider(p: ProviderRecord): Promise<void> {
    unique(columnOf, () =>
      this.db.run('INSERT INTO providers (id, name, notification_url, hmac_secret, created_at) VALUES (?, ?, ?, ?, ?)', [p.id, p.name, p.notificationUrl, this.#sealed.seal('providers', p.id, 'hmac_secret', p.hmacSecret), p.createdAt]),
    );
  }

  async getProvider(id: string): Promise<ProviderRecord | undefined> {
    const r = this.db.get('SELECT * FROM providers WHERE id = ?', [id]);
    return r && { id: str(r.id), name: str(r.name), notificationUrl: str(r.notification_url), hmacSecret: this.#sealed.open(bytes(r.hmac_secret), place('providers', id, 'hmac_secret')), createdAt: num(r.created_at) };
  }

  async setProviderNotificationUrl(id: string, url: string): Promise<void> {
    if (this.db.run('UPDATE providers SET notification_url = ? WHERE id = ?', [url, id]) === 0) throw new StoreError('NOT_FOUND', `no provider ${id}`);
  }

  async createApplication(a: ApplicationRecord): Promise<void> {
    unique(columnOf, () =>
      this.db.run(
        `INSERT INTO applications (id, provider_id, name, package_aid, package_version, applet_aids, module_aid, instance_aid, privileges, install_params,
           cap, lfdb, lfdb_hash, dap_signature, memory_needed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [a.id, a.providerId, a.name, a.packageAid, a.packageVersion, JSON.stringify(a.appletAids), a.moduleAid, a.instanceAid, a.privileges, a.installParams,
          a.cap, a.lfdb, a.lfdbHash, a.dapSignature, a.memoryNeeded, a.createdAt],
      ),
    );
  }

  async getApplication(id: string): Promise<ApplicationRecord | undefined> {
    const cached = this.#applications.get(id);
    if (cached) return cached;
    const r = this.db.get('SELECT * FROM applications WHERE id = ?', [id]);
    return r && this.#remember(toApplication(r));
  }

  async getApplicationByPackageAid(packageAid: string): Promise<ApplicationRecord | undefined> {
    for (const a of this.#applications.values()) if (a.packageAid === packageAid) return a;
    const r = this.db.get('SELECT * FROM applications WHERE package_aid = ?', [packageAid]);
    return r && this.#remember(toApplication(r));
  }

  /** An application never changes once uploaded (there is no update): its record, CAP and LFDB are read once. */
  #remember(a: ApplicationRecord): ApplicationRecord {
    if (this.#applications.size < 256) this.#applications.set(a.id, a);
    return a;
  }

  async listApplications(): Promise<ApplicationRecord[]> {
    return this.db.all('SELECT * FROM applications ORDER BY created_at, id').map(toApplication);
  }

  async createAuthorisedOrder(o: Omit<InstallOrderRecord, 'state' | 'failureCode' | 'failureDetail' | 'confirmation' | 'confirmationCounter' | 'updatedAt'>): Promise<void> {
    this.db.transaction(() => {
      unique(columnOf, () =>
        this.db.run(
          `INSERT INTO install_orders (id, card_id, application_id, provider_id, service_id, nonce, request, request_signature, expires_at, session_id, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?, ?)`,
          [o.id, o.cardId, o.applicationId, o.providerId, o.serviceId, o.nonce, o.request, o.requestSignature, o.expiresAt, o.sessionId, o.createdAt, o.createdAt],
        ),
      );
      this.#event(o.id, null, 'requested', 'card-signed request received', o.createdAt);
      this.#move(o.id, 'requested', 'authorised', 'chain, signature, card, freshness and replay checks passed', o.createdAt);
    });
  }

  #event(orderId: string, from: OrderState | null, to: OrderState, detail: string | null, at: number): void {
    this.db.run('INSERT INTO order_events (order_id, from_state, to_state, detail, at) VALUES (?, ?, ?, ?, ?)', [orderId, from, to, detail, at]);
  }

  #move(orderId: string, from: OrderState, to: OrderState, detail: string | null, at: number, extra = '', extraParams: unknown[] = []): void {
    const changed = this.db.run(`UPDATE install_orders SET state = ?, updated_at = ?${extra} WHERE id = ? AND state = ?`, [to, at, ...(extraParams as never[]), orderId, from]);
    if (changed === 0) throw new StoreError('STATE_CONFLICT', `order ${orderId} is not ${from}`);
    this.#event(orderId, from, to, detail, at);
  }

  async getOrder(id: string): Promise<InstallOrderRecord | undefined> {
    const r = this.db.get('SELECT * FROM install_orders WHERE id = ?', [id]);
    return r && toOrder(r);
  }

  async getOrderBySession(sessionId: string): Promise<InstallOrderRecord | undefined> {
    const r = this.db.get('SELECT * FROM install_orders WHERE session_id = ?', [sessionId]);
    return r && toOrder(r);
  }

  async listOrders(filter: { cardId?: string; state?: OrderState } = {}): Promise<InstallOrderRecord[]> {
    // One statement per filter shape, so SQLite uses the card_id and state indexes instead of a scan.
    const where: string[] = [];
    const params: string[] = [];
    if (filter.cardId !== undefined) {
      where.push('card_id = ?');
      params.push(filter.cardId);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      params.push(filter.state);
    }
    return this.db.all(`SELECT * FROM install_orders${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`, params).map(toOrder);
  }

  async orderEvents(orderId: string): Promise<OrderEvent[]> {
    return this.db
      .all('SELECT * FROM order_events WHERE order_id = ? ORDER BY id', [orderId])
      .map((r) => ({ fromState: opt<OrderState>(r.from_state), toState: str(r.to_state) as OrderState, detail: opt(r.detail), at: num(r.at) }));
  }

  async transitionOrder(orderId: string, from: OrderState, to: OrderState, detail: string | null, at: number): Promise<void> {
    this.db.transaction(() => this.#move(orderId, from, to, detail, at));
  }

  async failOrder(orderId: string, code: string, detail: string, at: number, resources?: { freeNvm: number; freeVm: number; installedCount: number }): Promise<void> {
    this.db.transaction(() => {
      const r = this.db.get('SELECT state, card_id FROM install_orders WHERE id = ?', [orderId]);
      if (!r) throw new StoreError('NOT_FOUND', `no order ${orderId}`);
      const from = str(r.state) as OrderState;
      if (FINAL_STATES.includes(from)) throw new StoreError('STATE_CONFLICT', `order ${orderId} is already ${from}`);
      this.#move(orderId, from, 'failed', `${code}: ${detail}`, at, ', failure_code = ?, failure_detail = ?', [code, detail]);
      if (resources) this.db.run('UPDATE cards SET free_nvm = ?, free_vm = ?, installed_count = ? WHERE id = ?', [resources.freeNvm, resources.freeVm, resources.installedCount, str(r.card_id)]);
    });
  }

  async confirmInstall(c: ConfirmInstall): Promise<void> {
    this.db.transaction(() => {
      const order = this.db.get('SELECT card_id FROM install_orders WHERE id = ?', [c.orderId]);
      if (!order) throw new StoreError('NOT_FOUND', `no order ${c.orderId}`);
      const cardId = str(order.card_id);
      this.#move(c.orderId, 'authorised', 'delivered', c.deliveredDetail, c.at);
      this.#move(c.orderId, 'delivered', 'confirmed', `confirmation ${c.confirmationCounter} verified`, c.at, ', confirmation = ?, confirmation_counter = ?', [c.confirmation, c.confirmationCounter]);
      for (const item of c.contents) {
        this.db.run(
          `INSERT INTO card_contents (card_id, aid, kind, load_file_aid, order_id, installed_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (card_id, aid) DO UPDATE SET kind = excluded.kind, load_file_aid = excluded.load_file_aid, order_id = excluded.order_id, installed_at = excluded.installed_at`,
          [cardId, item.aid, item.kind, item.loadFileAid, c.orderId, c.at],
        );
      }
      this.db.run('UPDATE cards SET free_nvm = ?, free_vm = ?, installed_count = ? WHERE id = ?', [c.resources.freeNvm, c.resources.freeVm, c.resources.installedCount, cardId]);
      this.db.run('INSERT INTO outbox (id, order_id, provider_id, body, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)', [
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
    if (!this.db.get(`SELECT 1 AS due FROM install_orders WHERE state IN ${OPEN_STATES} AND expires_at <= ? LIMIT 1`, [nowSeconds])) return [];
    return this.db.transaction(() => {
      const ids = this.db.all(`SELECT id, state FROM install_orders WHERE state IN ${OPEN_STATES} AND expires_at <= ? ORDER BY created_at, id`, [nowSeconds]);
      for (const r of ids) {
        const detail = 'the order expired before the card confirmed the install';
        this.#move(str(r.id), str(r.state) as OrderState, 'failed', `order_expired: ${detail}`, at, ', failure_code = ?, failure_detail = ?', ['order_expired', detail]);
      }
      return ids.map((r) => str(r.id));
    });
  }

  async removeCardContent(cardId: string, loadFileAid: string): Promise<number> {
    return this.db.transaction(
      () => this.db.run("DELETE FROM card_contents WHERE card_id = ? AND (aid = ? OR load_file_aid = ?)", [cardId, loadFileAid, loadFileAid]),
    );
  }

  async listNotifications(filter: { state?: NotificationState } = {}): Promise<OutboxRecord[]> {
    const where = {
      pending: 'WHERE delivered_at IS NULL AND dead_at IS NULL',
      delivered: 'WHERE delivered_at IS NOT NULL',
      dead: 'WHERE dead_at IS NOT NULL',
    }[filter.state ?? 'pending'];
    return this.db.all(`SELECT * FROM outbox ${filter.state ? where : ''} ORDER BY created_at, id`).map(toOutbox);
  }

  async markNotificationDead(id: string, r: { attempts: number; at: number; error: string }): Promise<void> {
    this.db.run('UPDATE outbox SET attempts = ?, dead_at = ?, last_error = ? WHERE id = ? AND delivered_at IS NULL', [r.attempts, r.at, r.error, id]);
  }

  async retryNotification(id: string, at: number): Promise<boolean> {
    return this.db.run('UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = ? WHERE id = ? AND dead_at IS NOT NULL AND delivered_at IS NULL', [at, id]) === 1;
  }

  async dueNotifications(now: number, limit: number): Promise<OutboxRecord[]> {
    return this.db
      .all('SELECT * FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?', [now, limit])
      .map(toOutbox);
  }

  async getNotification(id: string): Promise<OutboxRecord | undefined> {
    const r = this.db.get('SELECT * FROM outbox WHERE id = ?', [id]);
    return r && toOutbox(r);
  }

  async markNotificationDelivered(id: string, at: number): Promise<void> {
    this.db.run('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND delivered_at IS NULL', [at, id]);
  }

  async markNotificationAttempt(id: string, r: { attempts: number; nextAttemptAt: number; error: string }): Promise<void> {
    this.db.run('UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND delivered_at IS NULL AND dead_at IS NULL', [r.attempts, r.nextAttemptAt, r.error, id]);
  }

  async putSeramSession(s: Omit<SeramSessionRecord, 'version'>, expectedVersion: number | null): Promise<number | undefined> {
    const sealed = this.#sealed.seal('seram_sessions', s.sessionId, 'state', s.state);
    const row =
      expectedVersion === null
        ? this.db.get<{ version: number }>(
            `INSERT INTO seram_sessions (session_id, order_id, state, version, last_seen) VALUES (?, ?, ?, 1, ?)
             ON CONFLICT (session_id) DO UPDATE SET order_id = excluded.order_id, state = excluded.state, version = seram_sessions.version + 1, last_seen = excluded.last_seen
             RETURNING version`,
            [s.sessionId, s.orderId, sealed, s.lastSeen],
          )
        : this.db.get<{ version: number }>('UPDATE seram_sessions SET state = ?, version = version + 1, last_seen = ? WHERE session_id = ? AND version = ? RETURNING version', [
            sealed,
            s.lastSeen,
            s.sessionId,
            expectedVersion,
          ]);
    return row?.version;
  }

  async getSeramSession(sessionId: string): Promise<SeramSessionRecord | undefined> {
    const r = this.db.get('SELECT * FROM seram_sessions WHERE session_id = ?', [sessionId]);
    return r && { sessionId, orderId: str(r.order_id), state: this.#sealed.box.open(bytes(r.state), place('seram_sessions', sessionId, 'state')), version: num(r.version), lastSeen: num(r.last_seen) };
  }

  async deleteSeramSession(sessionId: string): Promise<void> {
    this.db.run('DELETE FROM seram_sessions WHERE session_id = ?', [sessionId]);
  }

  async sweepSeramSessions(before: number): Promise<number> {
    return this.db.run('DELETE FROM seram_sessions WHERE last_seen < ?', [before]);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
