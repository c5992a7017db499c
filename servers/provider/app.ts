import express, { type Express } from 'express';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import type { RandomSource } from '../../protocol/crypto/index.ts';
import { encodeApplicationRequest } from '../../protocol/provisioning/index.ts';
import {
  AID,
  ApiRouter,
  bearerTokenScheme,
  bodySignatureScheme,
  conflict,
  errorHandler,
  HEX,
  ID,
  labelledMac,
  notFound,
  notFoundHandler,
  REQUEST_AUTHORISATION_LABEL,
  requestLog,
  unprocessable,
  type JsonSchema,
  type Logger,
} from '../http/index.ts';
import type { Clock } from '../ids.ts';
import { ProviderStoreError, type ProviderStore, type ServiceRecord } from './store/provider-store.ts';

export interface ProviderDeps {
  store: ProviderStore;
  /** This provider's id at the issuer. */
  providerId: string;
  /** Secret shared with the issuer: notification HMACs and request authorisations. */
  issuerSecret: Uint8Array;
  adminToken: string;
  logger: Logger;
  random: RandomSource;
  clock: Clock;
  /** Lifetime of an application request (seconds, default 300). */
  requestLifetimeSeconds?: number;
}

const SELECT_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cardId'],
  properties: { cardId: { ...HEX(1, 64), description: "the card's CIN (GET DATA 45 value), hex" } },
};

const START_BODY = SELECT_BODY;

const NOTIFICATION_BODY: JsonSchema = {
  type: 'object',
  required: ['notificationId', 'event', 'orderId', 'providerId', 'serviceId', 'nonce', 'cardId', 'packageAid', 'instanceAid'],
  properties: {
    notificationId: ID,
    event: { type: 'string', enum: ['application.installed'] },
    orderId: ID,
    providerId: ID,
    serviceId: { type: 'string', minLength: 1, maxLength: 255 },
    nonce: HEX(16, 16),
    cardId: HEX(1, 64),
    packageAid: AID,
    instanceAid: AID,
    confirmationCounter: { type: 'integer' },
    installedAt: { type: 'string' },
  },
};

const SERVICE_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'packageAid', 'appletAid'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    packageAid: AID,
    appletAid: AID,
    instanceAid: AID,
    startCommands: { type: 'array', maxItems: 16, items: HEX(4, 261) },
  },
};

const SERVICE_VIEW: JsonSchema = {
  type: 'object',
  properties: {
    serviceId: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    packageAid: { type: 'string' },
    appletAid: { type: 'string' },
    instanceAid: { type: 'string' },
  },
};

function serviceView(s: ServiceRecord) {
  return { serviceId: s.id, name: s.name, description: s.description, packageAid: s.packageAid, appletAid: s.appletAid, instanceAid: s.instanceAid };
}

/** Adds a service to the catalogue (admin API and demo data). */
export async function registerService(
  deps: ProviderDeps,
  body: { id: string; name: string; description?: string; packageAid: string; appletAid: string; instanceAid?: string; startCommands?: string[] },
): Promise<ReturnType<typeof serviceView>> {
  const record: ServiceRecord = {
    id: body.id,
    name: body.name,
    description: body.description ?? '',
    packageAid: body.packageAid.toUpperCase(),
    appletAid: body.appletAid.toUpperCase(),
    instanceAid: (body.instanceAid ?? body.appletAid).toUpperCase(),
    startCommands: (body.startCommands ?? []).map((c) => c.toUpperCase()),
    createdAt: deps.clock(),
  };
  try {
    await deps.store.createService(record);
  } catch (err) {
    if (err instanceof ProviderStoreError && err.code === 'DUPLICATE') throw conflict('service_already_registered', `service ${body.id} exists`, '/id');
    throw err;
  }
  return serviceView(record);
}

async function service(deps: ProviderDeps, id: string): Promise<ServiceRecord> {
  const s = await deps.store.getService(id);
  if (!s) throw notFound('unknown_service', `no service ${id}`);
  return s;
}

/**
 * The service provider's server (issue #4): catalogue (S4–S5), service selection issuing the
 * application request the card signs (S5–S6), new-member notifications from the issuer (S15,
 * HMAC-checked, idempotent) and service start (S16). Never listens itself.
 */
export function createProviderApp(deps: ProviderDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLog(deps.logger));
  // The router authenticates before it reads a body; the issuer's HMAC is checked on the raw bytes before they are parsed.
  const api = new ApiRouter({
    securitySchemes: { adminToken: bearerTokenScheme(deps.adminToken), issuerHmac: bodySignatureScheme(() => deps.issuerSecret) },
  });
  const lifetime = deps.requestLifetimeSeconds ?? 300;

  api.route(
    { method: 'get', path: '/services', operationId: 'listServices', summary: 'S4–S5: the services catalogue', tags: ['services'], responses: { '200': { description: 'services', schema: { type: 'object', properties: { services: { type: 'array', items: SERVICE_VIEW } } } } } },
    async (_req, res) => {
      res.json({ services: (await deps.store.listServices()).map(serviceView) });
    },
  );

  api.route(
    { method: 'get', path: '/services/:serviceId', operationId: 'getService', summary: 'One service and the application it needs', tags: ['services'], responses: { '200': { description: 'the service', schema: SERVICE_VIEW } } },
    async (req, res) => {
      res.json(serviceView(await service(deps, String(req.params.serviceId))));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/services/:serviceId/select',
      operationId: 'selectService',
      summary: 'S5–S6: the application request the card must sign (canonical bytes), with a fresh nonce',
      tags: ['services'],
      body: SELECT_BODY,
      responses: { '201': { description: 'the request to sign, and the provider authorisation the issuer checks' } },
    },
    async (req, res) => {
      const s = await service(deps, String(req.params.serviceId));
      const cardId = fromHex((req.body as { cardId: string }).cardId);
      const nonce = deps.random.bytes(16);
      const now = deps.clock();
      const expiresAt = Math.floor(now / 1000) + lifetime;
      const request = { serviceId: s.id, cardId, packageAid: fromHex(s.packageAid), nonce, expiresAt };
      const encoded = encodeApplicationRequest(request);
      await deps.store.createSelection({ nonce: toHex(nonce), serviceId: s.id, cardId: toHex(cardId), request: encoded, expiresAt, createdAt: now });
      deps.logger.info({ serviceId: s.id, cardId: toHex(cardId) }, 'application request issued');
      res.status(201).json({
        request: { serviceId: s.id, cardId: toHex(cardId), packageAid: s.packageAid, nonce: toHex(nonce), expiresAt },
        encodedRequest: toHex(encoded),
        providerId: deps.providerId,
        providerAuthorisation: toHex(labelledMac(deps.issuerSecret, REQUEST_AUTHORISATION_LABEL, encoded)),
      });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/notifications',
      operationId: 'notifyMember',
      summary: 'S15: the issuer tells of a new member (HMAC-SHA256 in x-cardlab-signature; idempotent by notificationId)',
      tags: ['issuer'],
      security: 'issuerHmac',
      body: NOTIFICATION_BODY,
      responses: { '200': { description: 'recorded (or already recorded)' } },
    },
    async (req, res) => {
      const n = req.body as { notificationId: string; orderId: string; providerId: string; serviceId: string; nonce: string; cardId: string; packageAid: string };
      const s = await service(deps, n.serviceId);
      const selection = await deps.store.getSelection(n.nonce.toUpperCase());
      if (!selection || selection.serviceId !== s.id || selection.cardId !== n.cardId.toUpperCase() || s.packageAid !== n.packageAid.toUpperCase()) {
        throw unprocessable('notification_conflict', 'the notification does not match an application request this provider issued', '/nonce');
      }
      let outcome: 'recorded' | 'duplicate';
      try {
        outcome = await deps.store.recordNotification({
          id: n.notificationId,
          body: req.rawBody!.toString('utf8'),
          at: deps.clock(),
          member: { serviceId: s.id, cardId: n.cardId.toUpperCase(), orderId: n.orderId },
        });
      } catch (err) {
        if (err instanceof ProviderStoreError && err.code === 'CONFLICT') throw conflict('notification_conflict', err.message, '/notificationId');
        throw err;
      }
      deps.logger.info({ notificationId: n.notificationId, serviceId: s.id, outcome }, 'member notification');
      res.json({ notificationId: n.notificationId, recorded: outcome === 'recorded', duplicate: outcome === 'duplicate' });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/services/:serviceId/start',
      operationId: 'startService',
      summary: 'S16: start the service for a recorded member; the first start returns the commands the terminal sends to the applet',
      tags: ['services'],
      body: START_BODY,
      responses: { '200': { description: 'active' } },
    },
    async (req, res) => {
      const s = await service(deps, String(req.params.serviceId));
      const cardId = (req.body as { cardId: string }).cardId.toUpperCase();
      const member = await deps.store.getMember(s.id, cardId);
      if (!member) throw conflict('not_a_member', `card ${cardId} is not (yet) a member of ${s.id}: the issuer has not confirmed an install`);
      const first = await deps.store.activateMember(s.id, cardId, deps.clock());
      if (first) deps.logger.info({ serviceId: s.id, cardId }, 'service started');
      res.json({ serviceId: s.id, cardId, state: 'active', commands: first ? s.startCommands : [] });
    },
  );

  api.route(
    { method: 'post', path: '/admin/services', operationId: 'registerService', summary: 'Add a service to the catalogue', tags: ['admin'], security: 'adminToken', body: SERVICE_BODY, responses: { '201': { description: 'registered' } } },
    async (req, res) => {
      res.status(201).json(await registerService(deps, req.body as Parameters<typeof registerService>[1]));
    },
  );

  const document = api.openApi(
    { title: 'cardlab service provider', version: '1.0.0', description: 'Service provider server: catalogue, service selection, new-member notifications, service start.' },
  );
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(api.router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
