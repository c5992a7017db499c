import express, { type Express } from 'express';
import { healthRoute, ApiRouter, bearerTokenScheme, bodySignatureScheme, errorHandler, notFoundHandler, requestLog } from '../http/index.ts';
import type { ProviderDeps } from './provider-deps.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { catalogueRoutes } from './routes/catalogue-routes.ts';
import { notificationRoutes } from './routes/notification-routes.ts';
import { selectionRoutes } from './routes/selection-routes.ts';
import { startRoutes } from './routes/start-routes.ts';

export type { ProviderDeps } from './provider-deps.ts';
export { registerService } from './routes/admin-routes.ts';

/**
 * The service provider's server: catalogue (S4–S5), service selection issuing the application request
 * the card signs (S5–S6), new-member notifications from the issuer (S15, HMAC-checked, idempotent by
 * key), the card-signed, acknowledged service start (S16) and administration. Never listens itself.
 */
export function createProviderApp(deps: ProviderDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Every answer is a fresh state of a protocol exchange: no conditional GETs, so no ETag to hash.
  app.set('etag', false);
  healthRoute(app, () => deps.store.ping());
  app.use(requestLog(deps.logger));

  // The router authenticates before it reads a body (each route its own limit); the issuer's HMAC is
  // checked on the raw bytes before they are parsed.
  const api = new ApiRouter({
    securitySchemes: { adminToken: bearerTokenScheme(deps.adminToken), issuerHmac: bodySignatureScheme(() => deps.issuerSecret) },
  });
  catalogueRoutes(api, deps);
  selectionRoutes(api, deps);
  notificationRoutes(api, deps);
  startRoutes(api, deps);
  adminRoutes(api, deps);

  const document = api.openApi(
    {
      title: 'cardlab service provider',
      version: '1.0.0',
      description: 'Service provider server: catalogue, service selection, new-member notifications, the card-signed and acknowledged service start.',
    },
  );
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(api.router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
