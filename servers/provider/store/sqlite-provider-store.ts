import { fileURLToPath } from 'node:url';
import { openPrivateDatabase, isUniqueViolation, migrate, readMigrations, SqlDatabase } from '../../db/index.ts';
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

const MIGRATIONS = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)));

/** The provider store on embedded SQLite (libsql); every method one transaction. */
export class SqliteProviderStore implements ProviderStore {
  readonly db: SqlDatabase;

  async ping(): Promise<void> {
    this.db.get('SELECT 1');
  }

  readonly #services = new Map<string, ServiceRecord>();

  constructor(file: string) {
    // Created 0600 in a 0700 directory: members are cards of cardholders.
    this.db = openPrivateDatabase(file);
    migrate(this.db, MIGRATIONS);
  }

  async createService(s: ServiceRecord): Promise<void> {
    try {
      this.db.run('INSERT INTO services (id, name, description, package_aid, applet_aid, instance_aid, start_commands, opening_credit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        s.id,
        s.name,
        s.description,
        s.packageAid,
        s.appletAid,
        s.instanceAid,
        JSON.stringify(s.startCommands),
        s.openingCredit,
        s.createdAt,
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ProviderStoreError('DUPLICATE', `service ${s.id} exists`);
      throw err;
    }
  }

  async getService(id: string): Promise<ServiceRecord | undefined> {
    // A service never changes once registered (there is no update): read once, then from memory.
    const cached = this.#services.get(id);
    if (cached) return cached;
    const r = this.db.get('SELECT * FROM services WHERE id = ?', [id]);
    const service = r && toService(r);
    if (service && this.#services.size < 1024) this.#services.set(id, service);
    return service;
  }

  async listServices(): Promise<ServiceRecord[]> {
    return this.db.all('SELECT * FROM services ORDER BY created_at, id').map(toService);
  }

  async createSelection(s: SelectionRecord): Promise<void> {
    this.db.run('INSERT INTO selections (nonce, service_id, card_id, request, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      s.nonce,
      s.serviceId,
      s.cardId,
      s.request,
      s.expiresAt,
      s.createdAt,
    ]);
  }

  async getSelection(nonce: string): Promise<SelectionRecord | undefined> {
    const r = this.db.get('SELECT * FROM selections WHERE nonce = ?', [nonce]);
    return r && toRequest(r);
  }

  async recordNotification(n: { id: string; body: string; nonce: string; at: number; member: NewMember }): Promise<'recorded' | 'duplicate'> {
    return this.db.transaction(() => {
      const known = this.db.get('SELECT body FROM notifications WHERE id = ?', [n.id]);
      if (known) {
        if (known.body !== n.body) throw new ProviderStoreError('CONFLICT', `notification ${n.id} was received before with another body`);
        this.db.run('UPDATE notifications SET received_count = received_count + 1 WHERE id = ?', [n.id]);
        return 'duplicate';
      }
      const consumed = this.db.get<{ id: string }>('SELECT id FROM notifications WHERE nonce = ?', [n.nonce]);
      if (consumed) throw new ProviderStoreError('NONCE_CONSUMED', `the application request was notified before (notification ${consumed.id})`);
      const member = this.db.get('SELECT order_id, state FROM members WHERE service_id = ? AND card_id = ?', [n.member.serviceId, n.member.cardId]);
      // The card joins again only when the issuer says this order replaces the member's order (it
      // recorded that application deleted from the card, then installed it again: a fresh applet, a
      // fresh start) and that membership was started and acknowledged. Any other second notification
      // for the card is refused and changes nothing: a member is never reset, so never credited twice.
      if (member && (member.state !== 'active' || n.member.replacesOrderId !== member.order_id)) {
        throw new ProviderStoreError('ALREADY_A_MEMBER', `the card is a member of ${n.member.serviceId} since order ${member.order_id as string}`);
      }
      this.db.run('INSERT INTO notifications (id, body, received_count, received_at, nonce) VALUES (?, ?, 1, ?, ?)', [n.id, n.body, n.at, n.nonce]);
      if (member) {
        this.db.run(
          "UPDATE members SET order_id = ?, notification_id = ?, state = 'member', joined_at = ?, activated_at = NULL, card_curve = ?, card_public_key = ? WHERE service_id = ? AND card_id = ?",
          [n.member.orderId, n.id, n.at, n.member.curve, n.member.cardPublicKey, n.member.serviceId, n.member.cardId],
        );
        return 'recorded';
      }
      this.db.run("INSERT INTO members (service_id, card_id, order_id, notification_id, state, joined_at, card_curve, card_public_key) VALUES (?, ?, ?, ?, 'member', ?, ?, ?)", [
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
    const r = this.db.get('SELECT * FROM notifications WHERE id = ?', [id]);
    return r && { id: r.id as string, body: r.body as string, receivedCount: r.received_count as number, receivedAt: r.received_at as number, nonce: (r.nonce ?? null) as string | null };
  }

  async getMember(serviceId: string, cardId: string): Promise<MemberRecord | undefined> {
    const r = this.db.get('SELECT * FROM members WHERE service_id = ? AND card_id = ?', [serviceId, cardId]);
    return r && toMember(r);
  }

  async listMembers(serviceId?: string): Promise<MemberRecord[]> {
    return this.db.all('SELECT * FROM members WHERE (?1 IS NULL OR service_id = ?1) ORDER BY joined_at', [serviceId ?? null]).map(toMember);
  }

  async createStartRequest(r: Omit<StartRequestRecord, 'usedAt'>): Promise<void> {
    this.db.run('INSERT INTO start_requests (nonce, service_id, card_id, request, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)', [r.nonce, r.serviceId, r.cardId, r.request, r.expiresAt, r.createdAt]);
  }

  async getStartRequest(nonce: string): Promise<StartRequestRecord | undefined> {
    const r = this.db.get('SELECT * FROM start_requests WHERE nonce = ?', [nonce]);
    return r && { ...toRequest(r), usedAt: (r.used_at ?? null) as number | null };
  }

  async beginStart(o: { nonce: string; serviceId: string; cardId: string; at: number; make: (member: MemberRecord) => { id: string; commands: string[] } }): Promise<{ member: MemberRecord; start: StartRecord | undefined }> {
    return this.db.transaction(() => {
      const row = this.db.get('SELECT * FROM members WHERE service_id = ? AND card_id = ?', [o.serviceId, o.cardId]);
      if (!row) throw new ProviderStoreError('NOT_FOUND', `card ${o.cardId} is not a member of ${o.serviceId}`);
      const member = toMember(row);
      if (this.db.run('UPDATE start_requests SET used_at = ? WHERE nonce = ? AND used_at IS NULL', [o.at, o.nonce]) !== 1) {
        throw new ProviderStoreError('REPLAYED', 'the start request was used before');
      }
      if (member.state === 'active') return { member, start: undefined };
      const existing = this.db.get('SELECT * FROM starts WHERE service_id = ? AND card_id = ? AND order_id = ?', [o.serviceId, o.cardId, member.orderId]);
      if (existing) return { member, start: toStart(existing) };
      const made = o.make(member);
      this.db.run('INSERT INTO starts (id, service_id, card_id, order_id, commands, created_at) VALUES (?, ?, ?, ?, ?, ?)', [made.id, o.serviceId, o.cardId, member.orderId, JSON.stringify(made.commands), o.at]);
      return { member, start: toStart(this.db.get('SELECT * FROM starts WHERE id = ?', [made.id])!) };
    });
  }

  async getStart(id: string): Promise<StartRecord | undefined> {
    const r = this.db.get('SELECT * FROM starts WHERE id = ?', [id]);
    return r && toStart(r);
  }

  async acknowledgeStart(o: { startId: string; responses: string[]; at: number }): Promise<{ start: StartRecord; member: MemberRecord; first: boolean }> {
    return this.db.transaction(() => {
      const row = this.db.get('SELECT * FROM starts WHERE id = ?', [o.startId]);
      if (!row) throw new ProviderStoreError('NOT_FOUND', `no start ${o.startId}`);
      let start = toStart(row);
      const first = start.acknowledgedAt === null;
      if (first) {
        this.db.run('UPDATE starts SET acknowledged_at = ?, responses = ? WHERE id = ?', [o.at, JSON.stringify(o.responses), start.id]);
        this.db.run("UPDATE members SET state = 'active', activated_at = ? WHERE service_id = ? AND card_id = ? AND order_id = ? AND state = 'member'", [o.at, start.serviceId, start.cardId, start.orderId]);
        start = toStart(this.db.get('SELECT * FROM starts WHERE id = ?', [start.id])!);
      }
      const member = toMember(this.db.get('SELECT * FROM members WHERE service_id = ? AND card_id = ?', [start.serviceId, start.cardId])!);
      return { start, member, first };
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
