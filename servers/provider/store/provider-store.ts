/**
 * The provider's database behind a small interface (SQLite now, PostgreSQL later); each method is
 * one transaction. AIDs, CINs, nonces and keys are upper-case hex.
 */
export interface ServiceRecord {
  id: string;
  name: string;
  description: string;
  packageAid: string;
  appletAid: string;
  instanceAid: string;
  /** C-APDUs sent as they are at start. */
  startCommands: string[];
  /** Points credited once at start (CREDIT [once]), or null. */
  openingCredit: number | null;
  createdAt: number;
}

/** An application request the provider issued (S5–S6). */
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
  /** `member` until the terminal acknowledged the start; `active` after. */
  state: 'member' | 'active';
  joinedAt: number;
  activatedAt: number | null;
  /** The card's certified key (from the notification); null for members recorded before schema 2. */
  curve: string | null;
  cardPublicKey: string | null;
}

export interface NotificationRecord {
  id: string;
  body: string;
  receivedCount: number;
  receivedAt: number;
  /** The application request it consumed. */
  nonce: string | null;
}

/** A start request the provider issued for the card to sign (S16): its fields as a selection's, and when it was used. */
export interface StartRequestRecord extends SelectionRecord {
  usedAt: number | null;
}

/** The one start of a membership. */
export interface StartRecord {
  id: string;
  serviceId: string;
  cardId: string;
  orderId: string;
  commands: string[];
  createdAt: number;
  acknowledgedAt: number | null;
  responses: string[] | null;
}

export type ProviderStoreErrorCode =
  /** A row with this key exists (service id). */
  | 'DUPLICATE'
  /** A notification id known with another body. */
  | 'CONFLICT'
  /** Another notification already consumed this application request. */
  | 'NONCE_CONSUMED'
  /** The card already is a member of the service (under another order). */
  | 'ALREADY_A_MEMBER'
  /** The start request was used before. */
  | 'REPLAYED'
  /** No such start request, start or member. */
  | 'NOT_FOUND';

export class ProviderStoreError extends Error {
  override readonly name = 'ProviderStoreError';
  constructor(
    readonly code: ProviderStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NewMember {
  serviceId: string;
  cardId: string;
  orderId: string;
  curve: string;
  cardPublicKey: string;
  /** The member's earlier order this one replaces (the issuer's word, under its HMAC): lets the card join again. */
  replacesOrderId?: string;
}

export interface ProviderStore {
  /** Resolves when the database answers (`GET /healthz`). */
  ping(): Promise<void>;
  createService(s: ServiceRecord): Promise<void>;
  getService(id: string): Promise<ServiceRecord | undefined>;
  listServices(): Promise<ServiceRecord[]>;
  createSelection(s: SelectionRecord): Promise<void>;
  getSelection(nonce: string): Promise<SelectionRecord | undefined>;
  /**
   * Records a new-member notification once per idempotency key (its id), forever: the first time it
   * stores the notification and the member and answers `recorded`; the same id and body again only
   * count it (`duplicate`). Refused with nothing written: the id with another body (CONFLICT), a
   * request nonce another notification consumed (NONCE_CONSUMED), a card that already is a member
   * of the service (ALREADY_A_MEMBER: a member is never reset, so never credited twice) — unless its
   * membership was started and acknowledged and the notification is for a new order (the application
   * was deleted and installed again): then the card joins again, for a start of its own.
   */
  recordNotification(n: { id: string; body: string; nonce: string; at: number; member: NewMember }): Promise<'recorded' | 'duplicate'>;
  getNotification(id: string): Promise<NotificationRecord | undefined>;
  getMember(serviceId: string, cardId: string): Promise<MemberRecord | undefined>;
  listMembers(serviceId?: string): Promise<MemberRecord[]>;
  createStartRequest(r: Omit<StartRequestRecord, 'usedAt'>): Promise<void>;
  getStartRequest(nonce: string): Promise<StartRequestRecord | undefined>;
  /**
   * A verified, card-signed start: uses the start request (REPLAYED if it was used) and answers the
   * member's start — none when the member is active, else the start of this membership, made by
   * `make` the first time and the same record ever after.
   */
  beginStart(o: { nonce: string; serviceId: string; cardId: string; at: number; make: (member: MemberRecord) => { id: string; commands: string[] } }): Promise<{ member: MemberRecord; start: StartRecord | undefined }>;
  getStart(id: string): Promise<StartRecord | undefined>;
  /**
   * The card applied the start's commands: records its responses and makes the member active, once;
   * a repeat of an acknowledged start changes nothing. NOT_FOUND for an unknown start.
   */
  acknowledgeStart(o: { startId: string; responses: string[]; at: number }): Promise<{ start: StartRecord; member: MemberRecord; first: boolean }>;
  close(): Promise<void>;
}
