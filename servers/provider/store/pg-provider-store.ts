import { fileURLToPath } from 'node:url';
import { migratePg, PgDatabase, pgUniqueViolation, readMigrations } from '../../db/index.ts';
import { toMember, toRequest, toService, toStart } from './provider-rows.ts';
import {
  ProviderStoreError,
  type MemberRecord,
  type NewMember,
  type NotificationRecord,
  type ProviderStore,
  type SelectionRecord,
  type ServiceRecord,
  type StartRecord,
  type StartRequestRecord,
} from './provider-store.ts';

const MIGRATIONS = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)), 'postgres');

export interface PgProviderStoreOptions {
  /** The PostgreSQL schema of the provider's tables (default `provider`: it can share a database with the issuer's `issuer`). */
  schema?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

/**
 * The provider store on PostgreSQL (`pg`): the same schema and answers as the SQLite store, for several
 * provider instances over one database. Each multi-row write is one transaction holding the row it
 * decides on (`FOR UPDATE` on the member or the start), so two instances never both start or both
 * acknowledge a membership; two deliveries of one notification racing each other meet at its primary
 * key, and the loser is answered as a repeat. Open it with `PgProviderStore.open(url)`: it migrates first.
 */
export class PgProviderStore implements ProviderStore {
  readonly #services = new Map<string, ServiceRecord>();

  private constructor(readonly db: PgDatabase) {}

  static async open(url: string, options: PgProviderStoreOptions = {}): Promise<PgProviderStore> {
    const db = new PgDatabase(url, { schema: options.schema ?? 'provider', ...(options.maxConnections !== undefined ? { max: options.maxConnections } : {}) });
    try {
      await migratePg(db, MIGRATIONS);
      return new PgProviderStore(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.db.get('SELECT 1');
  }

  async createService(s: ServiceRecord): Promise<void> {
    try {
      await this.db.run(
        'INSERT INTO services (id, name, description, package_aid, applet_aid, instance_aid, start_commands, opening_credit, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [s.id, s.name, s.description, s.packageAid, s.appletAid, s.instanceAid, JSON.stringify(s.startCommands), s.openingCredit, s.createdAt],
      );
    } catch (err) {
      if (pgUniqueViolation(err)) throw new ProviderStoreError('DUPLICATE', `service ${s.id} exists`);
      throw err;
    }
  }

  async getService(id: string): Promise<ServiceRecord | undefined> {
    // A service never changes once registered (there is no update), on any instance: read once, then from memory.
    const cached = this.#services.get(id);
    if (cached) return cached;
    const r = await this.db.get('SELECT * FROM services WHERE id = $1', [id]);
    const service = r && toService(r);
    if (service && this.#services.size < 1024) this.#services.set(id, service);
    return service;
  }

  async listServices(): Promise<ServiceRecord[]> {
    return (await this.db.all('SELECT * FROM services ORDER BY created_at, id')).map(toService);
  }

  async createSelection(s: SelectionRecord): Promise<void> {
    await this.db.run('INSERT INTO selections (nonce, service_id, card_id, request, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      s.nonce,
      s.serviceId,
      s.cardId,
      s.request,
      s.expiresAt,
      s.createdAt,
    ]);
  }

  async getSelection(nonce: string): Promise<SelectionRecord | undefined> {
    const r = await this.db.get('SELECT * FROM selections WHERE nonce = $1', [nonce]);
    return r && toRequest(r);
  }

  async recordNotification(n: { id: string; body: string; nonce: string; at: number; member: NewMember }): Promise<'recorded' | 'duplicate'> {
    try {
      return await this.#recordNotification(n);
    } catch (err) {
      // Another instance recorded this notification (or another one for this card or request) meanwhile:
      // decided again, now that its row is committed, it is a repeat or a refusal like any other.
      if (pgUniqueViolation(err)) return this.#recordNotification(n);
      throw err;
    }
  }

  #recordNotification(n: { id: string; body: string; nonce: string; at: number; member: NewMember }): Promise<'recorded' | 'duplicate'> {
    return this.db.transaction(async (tx) => {
      // Deliveries of one notification take turns (a lock on its id for this transaction): the second
      // then finds the first's row, instead of missing it and meeting it half-way through its checks.
      await tx.get('SELECT pg_advisory_xact_lock(hashtext($1))', [`cardlab notification ${n.id}`]);
      const known = await tx.get<{ body: string }>('SELECT body FROM notifications WHERE id = $1', [n.id]);
      if (known) {
        if (known.body !== n.body) throw new ProviderStoreError('CONFLICT', `notification ${n.id} was received before with another body`);
        await tx.run('UPDATE notifications SET received_count = received_count + 1 WHERE id = $1', [n.id]);
        return 'duplicate';
      }
      const consumed = await tx.get<{ id: string }>('SELECT id FROM notifications WHERE nonce = $1', [n.nonce]);
      if (consumed) throw new ProviderStoreError('NONCE_CONSUMED', `the application request was notified before (notification ${consumed.id})`);
      const member = await tx.get<{ order_id: string; state: string }>('SELECT order_id, state FROM members WHERE service_id = $1 AND card_id = $2 FOR UPDATE', [n.member.serviceId, n.member.cardId]);
      // As in the SQLite store: the card joins again only for the order that replaces an acknowledged membership.
      if (member && (member.state !== 'active' || n.member.replacesOrderId !== member.order_id)) {
        throw new ProviderStoreError('ALREADY_A_MEMBER', `the card is a member of ${n.member.serviceId} since order ${member.order_id}`);
      }
      await tx.run('INSERT INTO notifications (id, body, received_count, received_at, nonce) VALUES ($1, $2, 1, $3, $4)', [n.id, n.body, n.at, n.nonce]);
      if (member) {
        await tx.run(
          "UPDATE members SET order_id = $1, notification_id = $2, state = 'member', joined_at = $3, activated_at = NULL, card_curve = $4, card_public_key = $5 WHERE service_id = $6 AND card_id = $7",
          [n.member.orderId, n.id, n.at, n.member.curve, n.member.cardPublicKey, n.member.serviceId, n.member.cardId],
        );
        return 'recorded';
      }
      await tx.run("INSERT INTO members (service_id, card_id, order_id, notification_id, state, joined_at, card_curve, card_public_key) VALUES ($1, $2, $3, $4, 'member', $5, $6, $7)", [
        n.member.serviceId,
        n.member.cardId,
        n.member.orderId,
        n.id,
        n.at,
        n.member.curve,
        n.member.cardPublicKey,
      ]);
      return 'recorded';
    });
  }

  async getNotification(id: string): Promise<NotificationRecord | undefined> {
    const r = await this.db.get('SELECT * FROM notifications WHERE id = $1', [id]);
    return r && { id: r.id as string, body: r.body as string, receivedCount: r.received_count as number, receivedAt: r.received_at as number, nonce: (r.nonce ?? null) as string | null };
  }

  async getMember(serviceId: string, cardId: string): Promise<MemberRecord | undefined> {
    const r = await this.db.get('SELECT * FROM members WHERE service_id = $1 AND card_id = $2', [serviceId, cardId]);
    return r && toMember(r);
  }

  async listMembers(serviceId?: string): Promise<MemberRecord[]> {
    return (await this.db.all('SELECT * FROM members WHERE ($1::text IS NULL OR service_id = $1) ORDER BY joined_at', [serviceId ?? null])).map(toMember);
  }

  async createStartRequest(r: Omit<StartRequestRecord, 'usedAt'>): Promise<void> {
    await this.db.run('INSERT INTO start_requests (nonce, service_id, card_id, request, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      r.nonce,
      r.serviceId,
      r.cardId,
      r.request,
      r.expiresAt,
      r.createdAt,
    ]);
  }

  async getStartRequest(nonce: string): Promise<StartRequestRecord | undefined> {
    const r = await this.db.get('SELECT * FROM start_requests WHERE nonce = $1', [nonce]);
    return r && { ...toRequest(r), usedAt: (r.used_at ?? null) as number | null };
  }

  async beginStart(o: { nonce: string; serviceId: string; cardId: string; at: number; make: (member: MemberRecord) => { id: string; commands: string[] } }): Promise<{ member: MemberRecord; start: StartRecord | undefined }> {
    return this.db.transaction(async (tx) => {
      // The member's row lock makes concurrent starts of one membership take turns: one makes the start, the others read it.
      const row = await tx.get('SELECT * FROM members WHERE service_id = $1 AND card_id = $2 FOR UPDATE', [o.serviceId, o.cardId]);
      if (!row) throw new ProviderStoreError('NOT_FOUND', `card ${o.cardId} is not a member of ${o.serviceId}`);
      const member = toMember(row);
      if ((await tx.run('UPDATE start_requests SET used_at = $1 WHERE nonce = $2 AND used_at IS NULL', [o.at, o.nonce])) !== 1) {
        throw new ProviderStoreError('REPLAYED', 'the start request was used before');
      }
      if (member.state === 'active') return { member, start: undefined };
      const existing = await tx.get('SELECT * FROM starts WHERE service_id = $1 AND card_id = $2 AND order_id = $3', [o.serviceId, o.cardId, member.orderId]);
      if (existing) return { member, start: toStart(existing) };
      const made = o.make(member);
      const inserted = await tx.get('INSERT INTO starts (id, service_id, card_id, order_id, commands, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *', [
        made.id,
        o.serviceId,
        o.cardId,
        member.orderId,
        JSON.stringify(made.commands),
        o.at,
      ]);
      return { member, start: toStart(inserted!) };
    });
  }

  async getStart(id: string): Promise<StartRecord | undefined> {
    const r = await this.db.get('SELECT * FROM starts WHERE id = $1', [id]);
    return r && toStart(r);
  }

  async acknowledgeStart(o: { startId: string; responses: string[]; at: number }): Promise<{ start: StartRecord; member: MemberRecord; first: boolean }> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get('SELECT * FROM starts WHERE id = $1 FOR UPDATE', [o.startId]);
      if (!row) throw new ProviderStoreError('NOT_FOUND', `no start ${o.startId}`);
      let start = toStart(row);
      const first = start.acknowledgedAt === null;
      if (first) {
        start = toStart((await tx.get('UPDATE starts SET acknowledged_at = $1, responses = $2 WHERE id = $3 RETURNING *', [o.at, JSON.stringify(o.responses), start.id]))!);
        await tx.run("UPDATE members SET state = 'active', activated_at = $1 WHERE service_id = $2 AND card_id = $3 AND order_id = $4 AND state = 'member'", [
          o.at,
          start.serviceId,
          start.cardId,
          start.orderId,
        ]);
      }
      const member = toMember((await tx.get('SELECT * FROM members WHERE service_id = $1 AND card_id = $2', [start.serviceId, start.cardId]))!);
      return { start, member, first };
    });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
