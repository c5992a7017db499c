import type { SecureElement } from '../../../protocol/seram/index.ts';
import type { IssuerStore } from '../store/issuer-store.ts';
import type { DialogueState, InstallDialogue } from './install-dialogue.ts';

/** One SERAM remote-management session: the order it serves and where its dialogue with the card stands. */
export interface ManagementSession {
  sessionId: string;
  orderId: string;
  secureElement: SecureElement;
  dialogue: InstallDialogue;
  /** awaiting-start: handshake done; awaiting-responses: an seRamCommand is out; closed: stop sent. */
  phase: 'awaiting-start' | 'awaiting-responses' | 'closed';
  /** The last order sent with commands, re-sent if the Local Agent polls instead of answering it. */
  lastOrder: unknown;
  lastSeen: number;
  /** The order's expiry (unix seconds): every report is refused after it without a database read. */
  expiresAt: number;
  /** Reports of one session are handled one after the other (a retrying Local Agent may overlap). */
  queue: Promise<unknown>;
  /** Its version in the store (shared sessions only). */
  version?: number;
}

/** A session as the store keeps it (JSON, sealed by the store): everything but the live objects. */
export interface StoredSession {
  orderId: string;
  secureElement: SecureElement;
  phase: ManagementSession['phase'];
  lastOrder: unknown;
  expiresAt: number;
  dialogue: DialogueState;
}

/** Where the SERAM routes keep their sessions: this process's memory, or the store shared by several instances. */
export interface SessionBook {
  get(sessionId: string, now: number): Promise<ManagementSession | undefined>;
  /** A handshake's session: it replaces whatever the session id had. */
  start(session: ManagementSession): Promise<void>;
  /** Records a report's progress; false when another instance advanced or ended the session meanwhile. */
  save(session: ManagementSession): Promise<boolean>;
  delete(sessionId: string): Promise<void>;
  /** Sessions live in this process. */
  readonly size: number;
}

/**
 * Live SERAM sessions by sessionId, in memory: they hold SCP03 session keys, so an issuer alone keeps
 * them here: after an issuer restart the order stays `authorised` and the terminal starts again with
 * a new handshake on the same sessionId.
 */
export class ManagementSessions implements SessionBook {
  readonly #sessions = new Map<string, ManagementSession>();

  constructor(private readonly idleMs: number) {}

  async get(sessionId: string, now: number): Promise<ManagementSession | undefined> {
    this.#sweep(now);
    const s = this.#sessions.get(sessionId);
    if (s) s.lastSeen = now;
    return s;
  }

  async start(session: ManagementSession): Promise<void> {
    this.#sessions.set(session.sessionId, session);
  }

  async save(): Promise<boolean> {
    return true; // the session object itself is the record
  }

  async delete(sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (now - s.lastSeen > this.idleMs) this.#sessions.delete(id);
  }
}

/**
 * SERAM sessions in the store (`sharedSessions`), so that any issuer instance over one database
 * continues a session another started: each report reads the session's version, continues the live
 * object this instance already has for that version (or rebuilds it from the sealed JSON), and saves
 * its progress only if nobody saved since — so two instances never both advance a session.
 */
export class SharedManagementSessions implements SessionBook {
  /** The sessions this instance handled last, by id: reports it handles in a row keep one object and one queue. */
  readonly #live = new Map<string, ManagementSession>();
  #sweptAt = 0;

  constructor(
    private readonly store: IssuerStore,
    private readonly idleMs: number,
    private readonly rebuild: (sessionId: string, stored: StoredSession, lastSeen: number) => Promise<ManagementSession | undefined>,
  ) {}

  async get(sessionId: string, now: number): Promise<ManagementSession | undefined> {
    if (now - this.#sweptAt > Math.min(this.idleMs, 60_000)) {
      this.#sweptAt = now;
      await this.store.sweepSeramSessions(now - this.idleMs);
      for (const [id, s] of this.#live) if (now - s.lastSeen > this.idleMs) this.#live.delete(id);
    }
    const row = await this.store.getSeramSession(sessionId);
    if (!row || now - row.lastSeen > this.idleMs) {
      this.#live.delete(sessionId);
      return undefined;
    }
    const live = this.#live.get(sessionId);
    if (live && live.version === row.version) {
      live.lastSeen = now;
      return live;
    }
    const session = await this.rebuild(sessionId, JSON.parse(Buffer.from(row.state).toString('utf8')) as StoredSession, now);
    if (!session) return undefined;
    session.version = row.version;
    this.#live.set(sessionId, session);
    return session;
  }

  async start(session: ManagementSession): Promise<void> {
    session.version = await this.store.putSeramSession({ sessionId: session.sessionId, orderId: session.orderId, state: encode(session), lastSeen: session.lastSeen }, null);
    this.#live.set(session.sessionId, session);
  }

  async save(session: ManagementSession): Promise<boolean> {
    if (session.phase === 'closed') return true; // ended: deleted, nothing to save
    const version = await this.store.putSeramSession({ sessionId: session.sessionId, orderId: session.orderId, state: encode(session), lastSeen: session.lastSeen }, session.version ?? null);
    if (version === undefined) {
      this.#live.delete(session.sessionId);
      return false;
    }
    session.version = version;
    return true;
  }

  async delete(sessionId: string): Promise<void> {
    this.#live.delete(sessionId);
    await this.store.deleteSeramSession(sessionId);
  }

  get size(): number {
    return this.#live.size;
  }
}

function encode(s: ManagementSession): Uint8Array {
  const stored: StoredSession = { orderId: s.orderId, secureElement: s.secureElement, phase: s.phase, lastOrder: s.lastOrder, expiresAt: s.expiresAt, dialogue: s.dialogue.state() };
  return new Uint8Array(Buffer.from(JSON.stringify(stored)));
}
