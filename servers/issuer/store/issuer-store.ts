/**
 * The issuer's database behind a small interface: the embedded SQLite implementation is
 * `SqliteIssuerStore`; a PostgreSQL one can follow without touching the routes. Every method is one
 * transaction: it writes everything it says or nothing. AIDs, IIN and CIN are upper-case hex
 * strings; key material and signatures are bytes; times are unix milliseconds.
 */

export type CardStatus = 'active' | 'blocked';
export type OrderState = 'requested' | 'authorised' | 'delivered' | 'confirmed' | 'failed';

export interface CardholderRecord {
  id: string;
  name: string;
  address: string;
  createdAt: number;
}

export interface CardKeys {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export interface CardRecord {
  id: string;
  cardholderId: string;
  iin: string;
  cin: string;
  /** CPLC IC serial number (4 bytes, hex). */
  icSerial: string;
  isdAid: string;
  keys: CardKeys;
  /** `derived`: the issuer's per-card keys from its master key; `given`: keys registered with the card (a card personalised elsewhere). */
  keySource: 'given' | 'derived';
  curve: string;
  /** The card's signing key (uncompressed point) as certified. */
  publicKey: Uint8Array;
  certificate: Uint8Array;
  status: CardStatus;
  freeNvm: number | null;
  freeVm: number | null;
  installedCount: number | null;
  collatedAt: number | null;
  createdAt: number;
}

export interface ProviderRecord {
  id: string;
  name: string;
  notificationUrl: string;
  hmacSecret: Uint8Array;
  createdAt: number;
}

export interface ApplicationRecord {
  id: string;
  providerId: string;
  name: string;
  packageAid: string;
  packageVersion: string;
  appletAids: string[];
  moduleAid: string;
  instanceAid: string;
  /** Privileges byte(s) for INSTALL [for install], hex. */
  privileges: string;
  installParams: Uint8Array;
  cap: Uint8Array;
  lfdb: Uint8Array;
  lfdbHash: Uint8Array;
  dapSignature: Uint8Array;
  memoryNeeded: number;
  createdAt: number;
}

export interface InstallOrderRecord {
  id: string;
  cardId: string;
  applicationId: string;
  providerId: string;
  serviceId: string;
  nonce: string;
  request: Uint8Array;
  requestSignature: Uint8Array;
  expiresAt: number;
  sessionId: string;
  state: OrderState;
  failureCode: string | null;
  failureDetail: string | null;
  confirmation: Uint8Array | null;
  confirmationCounter: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface OrderEvent {
  fromState: OrderState | null;
  toState: OrderState;
  detail: string | null;
  at: number;
}

export interface CardContentRecord {
  aid: string;
  kind: 'load_file' | 'application';
  loadFileAid: string | null;
  orderId: string | null;
  installedAt: number;
}

export interface OutboxRecord {
  id: string;
  orderId: string;
  providerId: string;
  body: string;
  attempts: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  /** Set when the notification was given up on (a refusal, or too many failed attempts): a dead letter. */
  deadAt: number | null;
  lastError: string | null;
  createdAt: number;
}

export type NotificationState = 'pending' | 'delivered' | 'dead';

/** What the confirmation of an install writes, all in one transaction (S14: authorised → delivered → confirmed, + the S15 outbox row). */
export interface ConfirmInstall {
  orderId: string;
  at: number;
  /** The event text of authorised → delivered. */
  deliveredDetail: string;
  confirmation: Uint8Array;
  confirmationCounter: number;
  /** Load file and application now on the card. */
  contents: Array<{ aid: string; kind: 'load_file' | 'application'; loadFileAid: string | null }>;
  /** FF21 as re-read through the secure channel after the install. */
  resources: { freeNvm: number; freeVm: number; installedCount: number };
  notification: { id: string; providerId: string; body: string };
}

/**
 * A GP SERAM session as any issuer instance can continue it: `state` is the routes' JSON of the session
 * (phase, secure element, last order, the dialogue's SCP03 state); the store seals it at rest.
 */
export interface SeramSessionRecord {
  sessionId: string;
  orderId: string;
  state: Uint8Array;
  /** Bumped by every write, a handshake's too. */
  version: number;
  lastSeen: number;
}

/** Why a store refused a write; routes turn these into 4xx codes. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: 'DUPLICATE' | 'NOT_FOUND' | 'STATE_CONFLICT',
    message: string,
    /** The field at fault for DUPLICATE (e.g. `nonce`, `cin`). */
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface IssuerStore {
  /** Resolves when the database answers (`GET /healthz`). */
  ping(): Promise<void>;
  createCardholder(c: CardholderRecord): Promise<void>;
  getCardholder(id: string): Promise<CardholderRecord | undefined>;

  createCard(c: CardRecord): Promise<void>;
  getCard(id: string): Promise<CardRecord | undefined>;
  getCardByCin(cin: string): Promise<CardRecord | undefined>;
  setCardStatus(id: string, status: CardStatus): Promise<void>;
  listCardContents(cardId: string): Promise<CardContentRecord[]>;

  createProvider(p: ProviderRecord): Promise<void>;
  getProvider(id: string): Promise<ProviderRecord | undefined>;
  /** Where a provider's notifications go now (its URL changes when it restarts on another port). */
  setProviderNotificationUrl(id: string, url: string): Promise<void>;

  createApplication(a: ApplicationRecord): Promise<void>;
  getApplication(id: string): Promise<ApplicationRecord | undefined>;
  getApplicationByPackageAid(packageAid: string): Promise<ApplicationRecord | undefined>;
  listApplications(): Promise<ApplicationRecord[]>;

  /**
   * Writes a verified install request as an order, `requested` then `authorised`, in one
   * transaction. A nonce seen before is StoreError DUPLICATE `nonce` (the replay check).
   */
  createAuthorisedOrder(o: Omit<InstallOrderRecord, 'state' | 'failureCode' | 'failureDetail' | 'confirmation' | 'confirmationCounter' | 'updatedAt'>): Promise<void>;
  getOrder(id: string): Promise<InstallOrderRecord | undefined>;
  getOrderBySession(sessionId: string): Promise<InstallOrderRecord | undefined>;
  listOrders(filter?: { cardId?: string; state?: OrderState }): Promise<InstallOrderRecord[]>;
  orderEvents(orderId: string): Promise<OrderEvent[]>;
  /** Moves an order from `from` to `to`; STATE_CONFLICT when it is no longer in `from`. */
  transitionOrder(orderId: string, from: OrderState, to: OrderState, detail: string | null, at: number): Promise<void>;
  /** Ends an order as `failed` from whichever non-final state it is in; with the card's free memory as it authenticated it, if known. */
  failOrder(orderId: string, code: string, detail: string, at: number, resources?: { freeNvm: number; freeVm: number; installedCount: number }): Promise<void>;
  /**
   * authorised → delivered → confirmed in ONE transaction, with the card's new contents, its free
   * memory and the provider notification: a crash leaves the order authorised (the card is asked
   * again) or confirmed with its notification queued, never in between.
   */
  confirmInstall(c: ConfirmInstall): Promise<void>;
  /**
   * Fails every open order whose expiry (unix seconds) is at or before `nowSeconds` with
   * `order_expired`; answers their ids. Expired orders free their card and application for a new order.
   */
  expireOrders(nowSeconds: number, at: number): Promise<string[]>;
  /** The issuer's record that a load file (and the applications of it) was deleted from a card. */
  removeCardContent(cardId: string, loadFileAid: string): Promise<number>;

  /** Notifications by state (admin API), oldest first. */
  listNotifications(filter?: { state?: NotificationState }): Promise<OutboxRecord[]>;
  /** Gives a notification up: a dead letter, no longer attempted. */
  markNotificationDead(id: string, r: { attempts: number; at: number; error: string }): Promise<void>;
  /** Puts a dead letter back in the queue (admin), due now. */
  retryNotification(id: string, at: number): Promise<boolean>;
  /** Undelivered, live notifications due at `now`, oldest first. */
  dueNotifications(now: number, limit: number): Promise<OutboxRecord[]>;
  getNotification(id: string): Promise<OutboxRecord | undefined>;
  markNotificationDelivered(id: string, at: number): Promise<void>;
  markNotificationAttempt(id: string, r: { attempts: number; nextAttemptAt: number; error: string }): Promise<void>;

  /**
   * Writes a SERAM session and answers its new version. `expectedVersion` null (a handshake): the
   * session starts over, whatever was there. Otherwise only if the stored version still is
   * `expectedVersion`: undefined when another instance saved (or ended) the session meanwhile.
   */
  putSeramSession(s: Omit<SeramSessionRecord, 'version'>, expectedVersion: number | null): Promise<number | undefined>;
  getSeramSession(sessionId: string): Promise<SeramSessionRecord | undefined>;
  deleteSeramSession(sessionId: string): Promise<void>;
  /** Forgets the sessions last seen before `before` (idle ones); answers how many. */
  sweepSeramSessions(before: number): Promise<number>;

  close(): Promise<void>;
}
