import { fileURLToPath } from 'node:url';
import { isUniqueViolation, migrate, readMigrations, SqlDatabase, type SqlRow } from '../../db/index.ts';

/**
 * The provider's database behind a small interface (SQLite now, PostgreSQL later); each method is
 * one transaction. AIDs and CINs are upper-case hex.
 */
export interface ServiceRecord {
  id: string;
  name: string;
  description: string;
  packageAid: string;
  appletAid: string;
  instanceAid: string;
  startCommands: string[];
  createdAt: number;
}

export interface SelectionRecord {
  nonce: string;
  serviceId: string;
  cardId: string;
  request: Uint8Array;
  expiresAt: number;
  createdAt: number;
}

export interface MemberRecord {
  serviceId: string;
  cardId: string;
  orderId: string;
  notificationId: string;
  state: 'member' | 'active';
  joinedAt: number;
  activatedAt: number | null;
}

export interface NotificationRecord {
  id: string;
  body: string;
  receivedCount: number;
  receivedAt: number;
}

export class ProviderStoreError extends Error {
  override readonly name = 'ProviderStoreError';
  constructor(
    readonly code: 'DUPLICATE' | 'CONFLICT',
    message: string,
  ) {
    super(message);
  }
}

export interface ProviderStore {
  createService(s: ServiceRecord): Promise<void>;
  getService(id: string): Promise<ServiceRecord | undefined>;
  listServices(): Promise<ServiceRecord[]>;
  createSelection(s: SelectionRecord): Promise<void>;
  getSelection(nonce: string): Promise<SelectionRecord | undefined>;
  /**
   * Records a new-member notification once: the first time it stores the notification and the
   * member and answers `recorded`; the same notification again only counts it and answers
   * `duplicate`; another body under a known id is ProviderStoreError CONFLICT.
   */
  recordNotification(n: { id: string; body: string; at: number; member: Omit<MemberRecord, 'state' | 'activatedAt' | 'joinedAt' | 'notificationId'> }): Promise<'recorded' | 'duplicate'>;
  getNotification(id: string): Promise<NotificationRecord | undefined>;
  getMember(serviceId: string, cardId: string): Promise<MemberRecord | undefined>;
  listMembers(serviceId?: string): Promise<MemberRecord[]>;
  /** member → active; answers false when it already was active. */
  activateMember(serviceId: string, cardId: string, at: number): Promise<boolean>;
  close(): Promise<void>;
}

const MIGRATIONS = readMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)));

const toService = (r: SqlRow): ServiceRecord => ({
  id: r.id as string,
  name: r.name as string,
  description: r.description as string,
  packageAid: r.package_aid as string,
  appletAid: r.applet_aid as string,
  instanceAid: r.instance_aid as string,
  startCommands: JSON.parse(r.start_commands as string) as string[],
  createdAt: r.created_at as number,
});

const toMember = (r: SqlRow): MemberRecord => ({
  serviceId: r.service_id as string,
  cardId: r.card_id as string,
  orderId: r.order_id as string,
  notificationId: r.notification_id as string,
  state: r.state as MemberRecord['state'],
  joinedAt: r.joined_at as number,
  activatedAt: (r.activated_at ?? null) as number | null,
});

/** The provider store on embedded SQLite (libsql). */
export class SqliteProviderStore implements ProviderStore {
  readonly db: SqlDatabase;

  constructor(file: string) {
    this.db = new SqlDatabase(file);
    migrate(this.db, MIGRATIONS);
  }

  async createService(s: ServiceRecord): Promise<void> {
    try {
      this.db.run('INSERT INTO services (id, name, description, package_aid, applet_aid, instance_aid, start_commands, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        s.id,
        s.name,
        s.description,
        s.packageAid,
        s.appletAid,
        s.instanceAid,
        JSON.stringify(s.startCommands),
        s.createdAt,
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ProviderStoreError('DUPLICATE', `service ${s.id} exists`);
      throw err;
    }
  }

  async getService(id: string): Promise<ServiceRecord | undefined> {
    const r = this.db.get('SELECT * FROM services WHERE id = ?', [id]);
    return r && toService(r);
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
    return (
      r && {
        nonce: r.nonce as string,
        serviceId: r.service_id as string,
        cardId: r.card_id as string,
        request: r.request as Uint8Array,
        expiresAt: r.expires_at as number,
        createdAt: r.created_at as number,
      }
    );
  }

  async recordNotification(n: { id: string; body: string; at: number; member: Omit<MemberRecord, 'state' | 'activatedAt' | 'joinedAt' | 'notificationId'> }): Promise<'recorded' | 'duplicate'> {
    return this.db.transaction(() => {
      const known = this.db.get('SELECT body FROM notifications WHERE id = ?', [n.id]);
      if (known) {
        if (known.body !== n.body) throw new ProviderStoreError('CONFLICT', `notification ${n.id} was received before with another body`);
        this.db.run('UPDATE notifications SET received_count = received_count + 1 WHERE id = ?', [n.id]);
        return 'duplicate';
      }
      this.db.run('INSERT INTO notifications (id, body, received_count, received_at) VALUES (?, ?, 1, ?)', [n.id, n.body, n.at]);
      // A card re-joining a service (after a reinstall) keeps one membership row, now of the new order.
      this.db.run(
        `INSERT INTO members (service_id, card_id, order_id, notification_id, state, joined_at) VALUES (?, ?, ?, ?, 'member', ?)
         ON CONFLICT (service_id, card_id) DO UPDATE SET order_id = excluded.order_id, notification_id = excluded.notification_id, state = 'member', joined_at = excluded.joined_at, activated_at = NULL`,
        [n.member.serviceId, n.member.cardId, n.member.orderId, n.id, n.at],
      );
      return 'recorded';
    });
  }

  async getNotification(id: string): Promise<NotificationRecord | undefined> {
    const r = this.db.get('SELECT * FROM notifications WHERE id = ?', [id]);
    return r && { id: r.id as string, body: r.body as string, receivedCount: r.received_count as number, receivedAt: r.received_at as number };
  }

  async getMember(serviceId: string, cardId: string): Promise<MemberRecord | undefined> {
    const r = this.db.get('SELECT * FROM members WHERE service_id = ? AND card_id = ?', [serviceId, cardId]);
    return r && toMember(r);
  }

  async listMembers(serviceId?: string): Promise<MemberRecord[]> {
    return this.db.all('SELECT * FROM members WHERE (?1 IS NULL OR service_id = ?1) ORDER BY joined_at', [serviceId ?? null]).map(toMember);
  }

  async activateMember(serviceId: string, cardId: string, at: number): Promise<boolean> {
    return this.db.run("UPDATE members SET state = 'active', activated_at = ? WHERE service_id = ? AND card_id = ? AND state = 'member'", [at, serviceId, cardId]) === 1;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
