import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { buildLoadFile, CapError, loadFileDataBlock, loadFileDataBlockHash, readCap } from '../../../protocol/cap/index.ts';
import { isValidEcPublicKey, type EcCurve } from '../../../protocol/crypto/index.ts';
import { signDap } from '../../../protocol/gp/dap.ts';
import { diversifyCardKeys } from '../../../protocol/gp/key-diversification.ts';
import { issueCardCertificate, PkiError, randomSerialNumber } from '../../../protocol/pki/index.ts';
import { AID, ApiRouter, badRequest, conflict, HEX, ID, notFound, type JsonSchema } from '../../http/index.ts';
import { newId } from '../../ids.ts';
import { dapSigningKey } from '../ca/issuer-keys.ts';
import { DEFAULTS, type IssuerDeps } from '../issuer-deps.ts';
import { StoreError, type ApplicationRecord, type CardRecord, type InstallOrderRecord, type NotificationState, type OrderState, type OutboxRecord } from '../store/issuer-store.ts';

const CARDHOLDER_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'address'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, address: { type: 'string', minLength: 1, maxLength: 500 } },
};

const AES_KEY: JsonSchema = { type: 'string', pattern: '^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$', description: 'AES-128/192/256 key, hex' };

const CARD_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cardholderId', 'iin', 'cin', 'icSerial', 'cardPublicKey'],
  properties: {
    cardholderId: ID,
    iin: HEX(1, 16),
    cin: HEX(1, 16),
    icSerial: { ...HEX(4, 4), description: 'CPLC IC serial number (4 bytes)' },
    isdAid: AID,
    keys: {
      type: 'object',
      description: "the card's ISD keys when it was personalised elsewhere (a real card); without them the issuer derives per-card keys from its master key and answers them once, for personalisation",
      additionalProperties: false,
      required: ['kvn', 'enc', 'mac', 'dek'],
      properties: { kvn: { type: 'integer', minimum: 1, maximum: 127 }, enc: AES_KEY, mac: AES_KEY, dek: AES_KEY },
    },
    cardPublicKey: { ...HEX(65, 65), description: "the card's signing key, uncompressed point 04‖X‖Y" },
    curve: { type: 'string', enum: ['P-256', 'brainpoolP256r1'] },
  },
};

const CARD_STATUS_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: ['active', 'blocked'] } },
};

const PROVIDER_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'notificationUrl', 'hmacSecret'],
  properties: {
    id: ID,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    notificationUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
    hmacSecret: { ...HEX(16, 64), description: 'shared secret of the notification HMAC and the request authorisation, 16–64 bytes' },
  },
};

const APPLICATION_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['providerId', 'name', 'cap'],
  properties: {
    providerId: ID,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    cap: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$', minLength: 4, description: 'the CAP file (ZIP), base64' },
    moduleAid: { ...AID, description: 'applet to instantiate; default the first applet of the CAP' },
    instanceAid: { ...AID, description: 'instance AID; default the module AID' },
    privileges: { type: 'string', pattern: '^([0-9A-Fa-f]{2}|[0-9A-Fa-f]{6})$', description: 'default 00' },
    installParameters: { ...HEX(0, 120), description: 'application-specific install parameters (the value of C9)' },
    memoryNeeded: { type: 'integer', minimum: 1, maximum: 0x7fffffff, description: 'non-volatile bytes the card needs free; default the LFDB size' },
  },
};

const ORDERS_QUERY: JsonSchema = {
  type: 'object',
  properties: { state: { type: 'string', enum: ['requested', 'authorised', 'delivered', 'confirmed', 'failed'] }, cardId: ID },
};

/** An order as the admin API shows it. */
export function orderView(o: InstallOrderRecord) {
  return {
    orderId: o.id,
    cardId: o.cardId,
    applicationId: o.applicationId,
    providerId: o.providerId,
    serviceId: o.serviceId,
    state: o.state,
    ...(o.failureCode ? { failure: { code: o.failureCode, detail: o.failureDetail } } : {}),
    ...(o.confirmationCounter !== null ? { confirmationCounter: o.confirmationCounter } : {}),
    createdAt: new Date(o.createdAt).toISOString(),
    updatedAt: new Date(o.updatedAt).toISOString(),
  };
}

/** An application as the admin API shows it (no CAP bytes). */
export function applicationView(a: ApplicationRecord) {
  return {
    applicationId: a.id,
    providerId: a.providerId,
    name: a.name,
    packageAid: a.packageAid,
    packageVersion: a.packageVersion,
    appletAids: a.appletAids,
    moduleAid: a.moduleAid,
    instanceAid: a.instanceAid,
    lfdbSize: a.lfdb.length,
    lfdbHash: toHex(a.lfdbHash),
    dapSignature: toHex(a.dapSignature),
    memoryNeeded: a.memoryNeeded,
  };
}

function cardView(c: CardRecord) {
  return {
    cardId: c.id,
    cardholderId: c.cardholderId,
    iin: c.iin,
    cin: c.cin,
    isdAid: c.isdAid,
    status: c.status,
    freeMemory: c.freeNvm === null ? null : { nonVolatile: c.freeNvm, volatile: c.freeVm },
    collatedAt: c.collatedAt === null ? null : new Date(c.collatedAt).toISOString(),
  };
}

const upper = (hex: string) => hex.toUpperCase();

/** A notification as the admin API shows it (its body holds no secret: ids and AIDs). */
function notificationView(n: OutboxRecord) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    notificationId: n.id,
    orderId: n.orderId,
    providerId: n.providerId,
    state: n.deliveredAt !== null ? 'delivered' : n.deadAt !== null ? 'dead' : 'pending',
    attempts: n.attempts,
    lastError: n.lastError,
    nextAttemptAt: n.deliveredAt === null && n.deadAt === null ? iso(n.nextAttemptAt) : null,
    deliveredAt: iso(n.deliveredAt),
    deadAt: iso(n.deadAt),
    createdAt: iso(n.createdAt),
  };
}

/** Registers a cardholder (personal data, kept only in the database). */
export async function registerCardholder(deps: IssuerDeps, body: { name: string; address: string }): Promise<{ cardholderId: string }> {
  const id = newId(deps.random);
  await deps.store.createCardholder({ id, name: body.name, address: body.address, createdAt: deps.clock() });
  deps.logger.info({ cardholderId: id }, 'cardholder registered');
  return { cardholderId: id };
}

export interface RegisterCardInput {
  cardholderId: string;
  iin: string;
  cin: string;
  icSerial: string;
  isdAid?: string;
  keys?: { kvn: number; enc: string; mac: string; dek: string };
  cardPublicKey: string;
  curve?: EcCurve;
}

/** Key version of the per-card keys the issuer derives (the GP default keyset's version). */
export const DERIVED_KVN = 0x30;

/** What registration answers: the certificate, and the derived ISD keys to personalise (only when the issuer derived them). */
export interface RegisteredCard {
  cardId: string;
  certificate: string;
  keys?: { kvn: number; enc: string; mac: string; dek: string };
}

/**
 * Registers a card at personalisation: its card-unique data, its ISD keys and its signing key, which
 * the issuer CA certifies (subject OU=IIN, CN=CIN). Returns the certificate to put on the card
 * (GET DATA 7F21) and, when the body gave no keys, the per-card ISD keys the issuer derived from its
 * master key and the card's IIN and CIN, to personalise the card with (no two cards share keys).
 */
export async function registerCard(deps: IssuerDeps, body: RegisterCardInput): Promise<RegisteredCard> {
  const curve = body.curve ?? 'P-256';
  const publicKey = fromHex(body.cardPublicKey);
  if (!isValidEcPublicKey(curve, publicKey)) throw badRequest('invalid_body', `cardPublicKey is not a point on ${curve}`, '/cardPublicKey');
  if (!(await deps.store.getCardholder(body.cardholderId))) throw notFound('unknown_cardholder', `no cardholder ${body.cardholderId}`, '/cardholderId');
  if (await deps.store.getCardByCin(upper(body.cin))) throw conflict('card_already_registered', `a card with CIN ${upper(body.cin)} is already registered`, '/cin');
  const now = deps.clock();
  let certificate: Uint8Array;
  try {
    certificate = await issueCardCertificate(deps.keys.ca, {
      cardPublicKey: publicKey,
      curve,
      iin: fromHex(body.iin),
      cin: fromHex(body.cin),
      serialNumber: randomSerialNumber(deps.random),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * 365 * 86_400_000),
    });
  } catch (err) {
    if (err instanceof PkiError) throw badRequest('invalid_body', `cannot certify this card key: ${err.message}`, '/cardPublicKey');
    throw err;
  }
  const id = newId(deps.random);
  const keys = body.keys
    ? { kvn: body.keys.kvn, enc: fromHex(body.keys.enc), mac: fromHex(body.keys.mac), dek: fromHex(body.keys.dek) }
    : diversifyCardKeys(deps.keys.cardMasterKey, { iin: fromHex(body.iin), cin: fromHex(body.cin) }, DERIVED_KVN);
  try {
    await deps.store.createCard({
      id,
      cardholderId: body.cardholderId,
      iin: upper(body.iin),
      cin: upper(body.cin),
      icSerial: upper(body.icSerial),
      isdAid: upper(body.isdAid ?? 'A000000151000000'),
      keys,
      keySource: body.keys ? 'given' : 'derived',
      curve,
      publicKey,
      certificate,
      status: 'active',
      freeNvm: null,
      freeVm: null,
      installedCount: null,
      collatedAt: null,
      createdAt: now,
    });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'DUPLICATE') throw conflict('card_already_registered', `a card with this ${err.field} is already registered`, '/cin');
    throw err;
  }
  deps.logger.info({ cardId: id, cin: upper(body.cin), keySource: body.keys ? 'given' : 'derived' }, 'card registered');
  return {
    cardId: id,
    certificate: toHex(certificate),
    ...(body.keys ? {} : { keys: { kvn: keys.kvn, enc: toHex(keys.enc), mac: toHex(keys.mac), dek: toHex(keys.dek) } }),
  };
}

export interface RegisterProviderInput {
  id: string;
  name: string;
  notificationUrl: string;
  hmacSecret: string;
}

/** Registers a service provider: where its notifications go and the secret shared with it. */
export async function registerProvider(deps: IssuerDeps, body: RegisterProviderInput): Promise<{ providerId: string }> {
  try {
    await deps.store.createProvider({ id: body.id, name: body.name, notificationUrl: body.notificationUrl, hmacSecret: fromHex(body.hmacSecret), createdAt: deps.clock() });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'DUPLICATE') throw conflict('provider_already_registered', `provider ${body.id} is already registered`, '/id');
    throw err;
  }
  deps.logger.info({ providerId: body.id }, 'provider registered');
  return { providerId: body.id };
}

export interface RegisterApplicationInput {
  providerId: string;
  name: string;
  /** CAP file, base64. */
  cap: string;
  moduleAid?: string;
  instanceAid?: string;
  privileges?: string;
  installParameters?: string;
  memoryNeeded?: number;
}

/**
 * Adds an application to the application database: the CAP is read strictly, its Load File Data
 * Block built and hashed (SHA-256, GPCS C.2) and the hash signed with the issuer's DAP key (GPCS C.3)
 * — once, at upload.
 */
export async function registerApplication(deps: IssuerDeps, body: RegisterApplicationInput): Promise<ReturnType<typeof applicationView>> {
  if (!(await deps.store.getProvider(body.providerId))) throw notFound('unknown_provider', `no provider ${body.providerId}`, '/providerId');
  const capBytes = new Uint8Array(Buffer.from(body.cap, 'base64'));
  let cap;
  try {
    cap = readCap(capBytes);
  } catch (err) {
    if (err instanceof CapError) throw badRequest('invalid_cap', `the CAP file is refused: ${err.message}`, '/cap');
    throw err;
  }
  const appletAids = cap.applets.map((a) => toHex(a.aid));
  if (appletAids.length === 0) throw badRequest('invalid_cap', 'the CAP holds no applet to install', '/cap');
  const moduleAid = upper(body.moduleAid ?? appletAids[0]!);
  if (!appletAids.includes(moduleAid)) throw badRequest('invalid_body', `module ${moduleAid} is not an applet of the CAP (${appletAids.join(', ')})`, '/moduleAid');
  const lfdb = loadFileDataBlock(cap);
  const lfdbHash = loadFileDataBlockHash(lfdb);
  const dapSignature = signDap(dapSigningKey(deps.keys), lfdbHash);
  const record: ApplicationRecord = {
    id: newId(deps.random),
    providerId: body.providerId,
    name: body.name,
    packageAid: toHex(cap.packageAid),
    packageVersion: `${cap.packageVersion.major}.${cap.packageVersion.minor}`,
    appletAids,
    moduleAid,
    instanceAid: upper(body.instanceAid ?? moduleAid),
    privileges: upper(body.privileges ?? '00'),
    installParams: fromHex(body.installParameters ?? ''),
    cap: capBytes,
    lfdb,
    lfdbHash,
    dapSignature,
    memoryNeeded: body.memoryNeeded ?? lfdb.length,
    createdAt: deps.clock(),
  };
  // The Load File (DAP block + C4 header + LFDB) must fit the 256 LOAD blocks LOAD can number (GPCS 11.6.2.2).
  if (buildLoadFile(lfdb, [{ sdAid: new Uint8Array(16), signature: dapSignature }]).length > 256 * 239) throw badRequest('invalid_cap', `a Load File Data Block of ${lfdb.length} bytes needs more than 256 LOAD blocks`, '/cap');
  try {
    await deps.store.createApplication(record);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'DUPLICATE') throw conflict('application_already_registered', `package ${record.packageAid} is already registered`, '/cap');
    throw err;
  }
  deps.logger.info({ applicationId: record.id, packageAid: record.packageAid, providerId: record.providerId }, 'application registered');
  return applicationView(record);
}

/** The admin API (S0: what the issuer sets up before any card asks): bearer-token authenticated. */
export function adminRoutes(api: ApiRouter, deps: IssuerDeps): void {
  const tags = ['admin'];
  const security = 'adminToken';

  api.route(
    { method: 'post', path: '/admin/cardholders', operationId: 'registerCardholder', summary: 'Register a cardholder (personal data)', tags, security, body: CARDHOLDER_BODY, responses: { '201': { description: 'registered' } } },
    async (req, res) => {
      res.status(201).json(await registerCardholder(deps, req.body as { name: string; address: string }));
    },
  );

  api.route(
    { method: 'post', path: '/admin/cards', operationId: 'registerCard', summary: "Register a card at personalisation; the issuer CA certifies the card's key", tags, security, body: CARD_BODY, responses: { '201': { description: 'registered; the certificate to store on the card' } } },
    async (req, res) => {
      res.status(201).json(await registerCard(deps, req.body as RegisterCardInput));
    },
  );

  api.route(
    { method: 'get', path: '/admin/cards/:cardId', operationId: 'getCard', summary: 'A card, its contents and its orders (no key material)', tags, security, responses: { '200': { description: 'the card' } } },
    async (req, res) => {
      const card = await deps.store.getCard(String(req.params.cardId));
      if (!card) throw notFound('unknown_card', `no card ${String(req.params.cardId)}`);
      const contents = await deps.store.listCardContents(card.id);
      const orders = await deps.store.listOrders({ cardId: card.id });
      res.json({ ...cardView(card), contents, orders: orders.map(orderView) });
    },
  );

  api.route(
    { method: 'patch', path: '/admin/cards/:cardId', operationId: 'setCardStatus', summary: 'Block or unblock a card', tags, security, body: CARD_STATUS_BODY, responses: { '200': { description: 'updated' } } },
    async (req, res) => {
      const id = String(req.params.cardId);
      try {
        await deps.store.setCardStatus(id, (req.body as { status: 'active' | 'blocked' }).status);
      } catch (err) {
        if (err instanceof StoreError && err.code === 'NOT_FOUND') throw notFound('unknown_card', `no card ${id}`);
        throw err;
      }
      res.json(cardView((await deps.store.getCard(id))!));
    },
  );

  api.route(
    { method: 'post', path: '/admin/providers', operationId: 'registerProvider', summary: 'Register a service provider and its shared secret', tags, security, body: PROVIDER_BODY, responses: { '201': { description: 'registered' } } },
    async (req, res) => {
      res.status(201).json(await registerProvider(deps, req.body as RegisterProviderInput));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/applications',
      operationId: 'registerApplication',
      summary: 'Upload a CAP file: parsed, hashed and DAP-signed at upload',
      tags,
      security,
      body: APPLICATION_BODY,
      // A base64 CAP: the one body above the 64 KiB default.
      bodyLimit: deps.capBodyLimit ?? DEFAULTS.capBodyLimit,
      responses: { '201': { description: 'registered' } },
    },
    async (req, res) => {
      res.status(201).json(await registerApplication(deps, req.body as RegisterApplicationInput));
    },
  );

  api.route(
    { method: 'get', path: '/admin/applications', operationId: 'listApplications', summary: 'The application database', tags, security, responses: { '200': { description: 'applications' } } },
    async (_req, res) => {
      res.json({ applications: (await deps.store.listApplications()).map(applicationView) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/admin/cards/:cardId/contents/:loadFileAid',
      operationId: 'recordContentDeleted',
      summary: 'Record that a load file and its applications were deleted from the card (GPCS 11.2); a new install order for it is then allowed',
      tags,
      security,
      responses: { '200': { description: 'removed from the card record' } },
    },
    async (req, res) => {
      const cardId = String(req.params.cardId);
      const aid = upper(String(req.params.loadFileAid));
      if (!/^[0-9A-F]{10,32}$/.test(aid)) throw badRequest('invalid_aid', 'an AID is 5–16 bytes of hex', '/loadFileAid');
      if (!(await deps.store.getCard(cardId))) throw notFound('unknown_card', `no card ${cardId}`);
      const removed = await deps.store.removeCardContent(cardId, aid);
      if (removed === 0) throw notFound('not_on_card', `the issuer lists no load file ${aid} on card ${cardId}`);
      deps.logger.info({ cardId, loadFileAid: aid }, 'card content deleted');
      res.json({ cardId, loadFileAid: aid, removed });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/admin/notifications',
      operationId: 'listNotifications',
      summary: 'Provider notifications (S15) by state: pending, delivered, or dead letters the outbox gave up on',
      tags,
      security,
      query: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: ['pending', 'delivered', 'dead'] } } },
      responses: { '200': { description: 'notifications' } },
    },
    async (req, res) => {
      const state = (req.query as { state?: NotificationState }).state;
      const list = await deps.store.listNotifications(state ? { state } : {});
      res.json({ notifications: list.map(notificationView) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/notifications/:notificationId/retry',
      operationId: 'retryNotification',
      summary: 'Put a dead letter back in the outbox (after the provider was fixed)',
      tags,
      security,
      responses: { '200': { description: 'queued again' } },
    },
    async (req, res) => {
      const id = String(req.params.notificationId);
      if (!(await deps.store.retryNotification(id, deps.clock()))) throw notFound('unknown_dead_letter', `no dead letter ${id}`);
      void deps.onNotificationQueued?.();
      res.json(notificationView((await deps.store.getNotification(id))!));
    },
  );

  api.route(
    { method: 'get', path: '/admin/orders', operationId: 'listOrders', summary: 'Install orders, optionally by state or card', tags, security, query: ORDERS_QUERY, responses: { '200': { description: 'orders' } } },
    async (req, res) => {
      const q = req.query as { state?: OrderState; cardId?: string };
      const orders = await deps.store.listOrders({ ...(q.state ? { state: q.state } : {}), ...(q.cardId ? { cardId: q.cardId } : {}) });
      const withEvents = await Promise.all(orders.map(async (o) => ({ ...orderView(o), events: await deps.store.orderEvents(o.id) })));
      res.json({ orders: withEvents });
    },
  );
}
