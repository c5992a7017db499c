import { hexSchema, idSchema, type ApiSchema } from './schema.ts';

/**
 * The issuer's HTTP contract with the terminal, once: each request and answer as a JSON Schema (the
 * issuer's routes validate and document with it) and as the TypeScript type the terminal's client
 * uses. Administration (S0) stays with the issuer's admin routes: no terminal calls it.
 */

const answer = (properties: Record<string, ApiSchema>, required = Object.keys(properties)): ApiSchema => ({ type: 'object', required, properties });
const sessionIdSchema: ApiSchema = { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' };

// ---------------------------------------------------------------- S1–S3: collation

/** What the card reported (GET DATA response data, with or without the tag): 9F7F, 42, 45, FF21. */
export interface CollateBody {
  cplc: string;
  iin: string;
  cin: string;
  cardResources: string;
}
export const COLLATE_BODY: ApiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cplc', 'iin', 'cin', 'cardResources'],
  description: 'What the card reported (GET DATA response data, with or without the tag): 9F7F, 42, 45, FF21',
  properties: {
    cplc: hexSchema(42, 45, 'CPLC: 9F7F TLV or its 42-byte value'),
    iin: hexSchema(1, 18, 'Issuer Identification Number: 42 TLV or value'),
    cin: hexSchema(1, 18, 'Card Image Number: 45 TLV or value'),
    cardResources: hexSchema(3, 64, 'Extended Card Resources Information: FF21 TLV'),
  },
};

/**
 * What the issuer read from a well-formed report — the same for a registered card and an unknown
 * one: the anonymous report neither reveals nor changes the issuer's records.
 */
export interface CollateAnswer {
  status: 'received';
  cin: string;
  iin: string;
  icSerial: string;
  freeMemory: { nonVolatile: number; volatile: number };
  installedCount: number;
}
export const COLLATE_ANSWER: ApiSchema = {
  ...answer({
    status: { type: 'string', enum: ['received'] },
    cin: { type: 'string' },
    iin: { type: 'string' },
    icSerial: { type: 'string' },
    freeMemory: answer({ nonVolatile: { type: 'integer' }, volatile: { type: 'integer' } }),
    installedCount: { type: 'integer' },
  }),
  additionalProperties: false,
};

// ---------------------------------------------------------------- S8–S10: the card-signed install request

export interface InstallRequestBody {
  /** The canonical ApplicationRequest bytes (71 { 80 45 4F 81 82 }) the card signed. */
  request: string;
  /** The card's ECDSA signature over the request: r‖s or DER (PERFORM SECURITY OPERATION). */
  signature: string;
  /** The card certificate: DER, or the GET DATA 7F21 TLV around it. */
  certificate: string;
  providerId: string;
  /** The provider's HMAC over the request, as its service selection returned it. */
  providerAuthorisation: string;
}
export const INSTALL_REQUEST_BODY: ApiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['request', 'signature', 'certificate', 'providerId', 'providerAuthorisation'],
  properties: {
    request: hexSchema(24, 512, 'the canonical ApplicationRequest bytes (71 { 80 45 4F 81 82 }) the card signed'),
    signature: hexSchema(64, 80, "the card's ECDSA signature over the request: r‖s or DER (PERFORM SECURITY OPERATION)"),
    certificate: hexSchema(64, 2048, 'the card certificate: DER, or the GET DATA 7F21 TLV around it'),
    providerId: idSchema,
    providerAuthorisation: hexSchema(32, 32, "the provider's HMAC over the request, as its service selection returned it"),
  },
};

/** S10: the authorised order and its GP SERAM session; the session id is the terminal's secret (it binds the session and reads the order). */
export interface InstallRequestAnswer {
  orderId: string;
  state: 'authorised';
  sessionId: string;
  /** Unix seconds: the order fails as `order_expired` if remote management has not confirmed it by then. */
  expiresAt: number;
  remoteManagement: { handshake: string; remoteManagement: string };
}
export const INSTALL_REQUEST_ANSWER: ApiSchema = answer({
  orderId: idSchema,
  state: { type: 'string', enum: ['authorised'] },
  sessionId: sessionIdSchema,
  expiresAt: { type: 'integer' },
  remoteManagement: answer({ handshake: { type: 'string' }, remoteManagement: { type: 'string' } }),
});

/**
 * 409 `order_open`: another order for this card and application is still open. When it waits for
 * remote management, the card-signed request that was refused learns how to finish it (`openOrder`).
 */
export interface OrderOpenAnswer {
  error: { code: string; message: string; path?: string };
  openOrder?: InstallRequestAnswer;
}

// ---------------------------------------------------------------- S14: the order

/** `GET /install-orders/{orderId}?sessionId=…`: only the terminal holding the session id learns the order's state. */
export interface OrderQuery {
  sessionId: string;
}
export const ORDER_QUERY: ApiSchema = { type: 'object', additionalProperties: false, required: ['sessionId'], properties: { sessionId: sessionIdSchema } };

export type OrderState = 'requested' | 'authorised' | 'delivered' | 'confirmed' | 'failed';
export interface OrderAnswer {
  orderId: string;
  state: OrderState;
  /** Why it failed: the code only (details stay in the issuer's records). */
  failure?: { code: string };
  confirmationCounter?: number;
}
export const ORDER_ANSWER: ApiSchema = answer(
  {
    orderId: idSchema,
    state: { type: 'string', enum: ['requested', 'authorised', 'delivered', 'confirmed', 'failed'] },
    failure: answer({ code: { type: 'string' } }),
    confirmationCounter: { type: 'integer' },
  },
  ['orderId', 'state'],
);

// ---------------------------------------------------------------- refusals

/** Every refusal of either server: `{ error: { code, message, path? } }` with a 4xx status. */
export interface ErrorAnswer {
  error: { code: string; message: string; path?: string };
}
export const ERROR_ANSWER: ApiSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: answer({ code: { type: 'string' }, message: { type: 'string' }, path: { type: 'string' } }, ['code', 'message']) },
};
