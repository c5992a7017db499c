import { aidSchema, apduSchema, hexSchema, idSchema, type ApiSchema } from './schema.ts';

/**
 * The service provider's HTTP contract, once: each request and answer as a JSON Schema (the
 * provider's routes validate and document with it) and as the TypeScript type the terminal's
 * client uses. Hex is upper or lower case on the way in, upper case on the way out.
 */

const cardId = hexSchema(1, 64, "the card's CIN (GET DATA 45 value), hex");
const serviceIdSchema: ApiSchema = { type: 'string', minLength: 1, maxLength: 255 };
const answer = (properties: Record<string, ApiSchema>, required = Object.keys(properties)): ApiSchema => ({ type: 'object', required, properties });

// ---------------------------------------------------------------- S4–S5: the catalogue

export interface ServiceView {
  serviceId: string;
  name: string;
  description: string;
  packageAid: string;
  appletAid: string;
  instanceAid: string;
}
export const SERVICE_VIEW: ApiSchema = answer({
  serviceId: { type: 'string' },
  name: { type: 'string' },
  description: { type: 'string' },
  packageAid: aidSchema,
  appletAid: aidSchema,
  instanceAid: aidSchema,
});

export interface ServiceList {
  services: ServiceView[];
}
export const SERVICE_LIST: ApiSchema = answer({ services: { type: 'array', items: SERVICE_VIEW } });

// ---------------------------------------------------------------- S5–S6: the application request

export interface SelectServiceBody {
  cardId: string;
}
export const SELECT_SERVICE_BODY: ApiSchema = { type: 'object', additionalProperties: false, required: ['cardId'], properties: { cardId } };

export interface SelectServiceAnswer {
  request: { serviceId: string; cardId: string; packageAid: string; nonce: string; expiresAt: number };
  /** The canonical ApplicationRequest (protocol/provisioning) the card signs. */
  encodedRequest: string;
  providerId: string;
  /** HMAC-SHA256(shared secret, `cardlab application-request v1` ‖ 00 ‖ request), checked by the issuer. */
  providerAuthorisation: string;
}
export const SELECT_SERVICE_ANSWER: ApiSchema = answer({
  request: answer({ serviceId: serviceIdSchema, cardId, packageAid: aidSchema, nonce: hexSchema(16, 16), expiresAt: { type: 'integer' } }),
  encodedRequest: hexSchema(1, 1024),
  providerId: idSchema,
  providerAuthorisation: hexSchema(32, 32),
});

// ---------------------------------------------------------------- S15: the issuer's notification

/**
 * `application.installed`, sent by the issuer's outbox with `x-cardlab-signature` (HMAC-SHA256 of
 * the body) and `idempotency-key: <notificationId>`. It carries the card's certified key, with which
 * the provider verifies the card's own signature on a service start.
 */
export interface MemberNotification {
  notificationId: string;
  event: 'application.installed';
  orderId: string;
  providerId: string;
  serviceId: string;
  /** The nonce of the application request the provider issued (S6). */
  nonce: string;
  cardId: string;
  curve: 'P-256' | 'brainpoolP256r1';
  /** The card's certified public key, uncompressed point (04 ‖ X ‖ Y), hex. */
  cardPublicKey: string;
  packageAid: string;
  instanceAid: string;
  confirmationCounter?: number;
  installedAt?: string;
  /**
   * The card's earlier order this install replaces: the issuer recorded that application deleted from
   * the card after that order, and installed it again. The provider then lets the card join again.
   */
  replacesOrderId?: string;
}
/** Open to new members the issuer may add later (no `additionalProperties: false`): the HMAC covers them all. */
export const MEMBER_NOTIFICATION: ApiSchema = {
  type: 'object',
  required: ['notificationId', 'event', 'orderId', 'providerId', 'serviceId', 'nonce', 'cardId', 'curve', 'cardPublicKey', 'packageAid', 'instanceAid'],
  properties: {
    notificationId: idSchema,
    event: { type: 'string', enum: ['application.installed'] },
    orderId: idSchema,
    providerId: idSchema,
    serviceId: serviceIdSchema,
    nonce: hexSchema(16, 16),
    cardId,
    curve: { type: 'string', enum: ['P-256', 'brainpoolP256r1'] },
    cardPublicKey: { ...hexSchema(65, 65), pattern: '^04([0-9A-Fa-f]{2})*$', description: 'uncompressed EC point, hex' },
    packageAid: aidSchema,
    instanceAid: aidSchema,
    confirmationCounter: { type: 'integer' },
    installedAt: { type: 'string' },
    replacesOrderId: idSchema,
  },
};
/** The header carrying the notification's idempotency key (its notificationId). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export interface NotificationAnswer {
  notificationId: string;
  recorded: boolean;
  duplicate: boolean;
}
export const NOTIFICATION_ANSWER: ApiSchema = answer({ notificationId: idSchema, recorded: { type: 'boolean' }, duplicate: { type: 'boolean' } });

// ---------------------------------------------------------------- S16: the card-signed service start

export interface StartRequestBody {
  cardId: string;
}
export const START_REQUEST_BODY: ApiSchema = { type: 'object', additionalProperties: false, required: ['cardId'], properties: { cardId } };

export interface StartRequestAnswer {
  request: { serviceId: string; cardId: string; instanceAid: string; nonce: string; expiresAt: number };
  /** The canonical StartRequest (protocol/provisioning, tag 72) the card signs. */
  encodedRequest: string;
}
export const START_REQUEST_ANSWER: ApiSchema = answer({
  request: answer({ serviceId: serviceIdSchema, cardId, instanceAid: aidSchema, nonce: hexSchema(16, 16), expiresAt: { type: 'integer' } }),
  encodedRequest: hexSchema(1, 1024),
});

export interface StartServiceBody {
  /** The encoded StartRequest, exactly as answered. */
  request: string;
  /** The card's signature over it (PERFORM SECURITY OPERATION), r‖s or DER. */
  signature: string;
}
export const START_SERVICE_BODY: ApiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['request', 'signature'],
  properties: { request: hexSchema(1, 1024), signature: hexSchema(8, 80) },
};

/** `starting`: commands to send and acknowledge (the same ones until acknowledged); `active`: the card applied them, nothing to send. */
export type StartState = 'starting' | 'active';
export interface StartServiceAnswer {
  serviceId: string;
  cardId: string;
  state: StartState;
  /** The start to acknowledge (absent once active). */
  startId?: string;
  /** C-APDUs for the card, in order, hex. */
  commands: string[];
}
export const START_SERVICE_ANSWER: ApiSchema = answer(
  {
    serviceId: serviceIdSchema,
    cardId,
    state: { type: 'string', enum: ['starting', 'active'] },
    startId: idSchema,
    commands: { type: 'array', items: apduSchema(4, 261) },
  },
  ['serviceId', 'cardId', 'state', 'commands'],
);

export interface AcknowledgeStartBody {
  startId: string;
  /** The card's R-APDU to each start command, in order, hex (data ‖ SW). */
  responses: string[];
}
export const ACKNOWLEDGE_START_BODY: ApiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['startId', 'responses'],
  properties: { startId: idSchema, responses: { type: 'array', maxItems: 32, items: apduSchema(2, 258) } },
};

export interface AcknowledgeStartAnswer {
  serviceId: string;
  cardId: string;
  startId: string;
  state: 'active';
}
export const ACKNOWLEDGE_START_ANSWER: ApiSchema = answer({ serviceId: serviceIdSchema, cardId, startId: idSchema, state: { type: 'string', enum: ['active'] } });

// ---------------------------------------------------------------- admin

export interface RegisterServiceBody {
  id: string;
  name: string;
  description?: string;
  packageAid: string;
  appletAid: string;
  instanceAid?: string;
  /** C-APDUs sent as they are at every start (e.g. SELECT of the instance). */
  startCommands?: string[];
  /**
   * Points credited once at start: the provider appends CREDIT [once] (protocol/loyalty) with a
   * transaction id of its own per member, so a resent command is applied once by the card.
   */
  openingCredit?: number;
}
export const REGISTER_SERVICE_BODY: ApiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'packageAid', 'appletAid'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    packageAid: aidSchema,
    appletAid: aidSchema,
    instanceAid: aidSchema,
    startCommands: { type: 'array', maxItems: 16, items: apduSchema(4, 261) },
    openingCredit: { type: 'integer', minimum: 1, maximum: 4294967295 },
  },
};
