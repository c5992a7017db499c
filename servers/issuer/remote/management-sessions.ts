import type { SecureElement } from '../../../protocol/seram/index.ts';
import type { InstallDialogue } from './install-dialogue.ts';

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
}

/**
 * Live SERAM sessions by sessionId. They hold SCP03 session keys, so they live in memory only:
 * after an issuer restart the order stays `authorised` and the terminal starts again with a new
 * handshake on the same sessionId.
 */
export class ManagementSessions {
  readonly #sessions = new Map<string, ManagementSession>();

  constructor(private readonly idleMs: number) {}

  get(sessionId: string, now: number): ManagementSession | undefined {
    this.#sweep(now);
    const s = this.#sessions.get(sessionId);
    if (s) s.lastSeen = now;
    return s;
  }

  put(session: ManagementSession): void {
    this.#sessions.set(session.sessionId, session);
  }

  delete(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (now - s.lastSeen > this.idleMs) this.#sessions.delete(id);
  }
}
