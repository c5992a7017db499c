import express, { type Express } from 'express';
import { healthRoute, ApiRouter, bearerTokenScheme, errorHandler, notFoundHandler, requestLog } from '../http/index.ts';
import { seramComponents } from '../../protocol/seram/index.ts';
import type { IssuerDeps } from './issuer-deps.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { collationRoutes } from './routes/collation-routes.ts';
import { installRoutes } from './routes/install-routes.ts';
import { seramRoutes } from './routes/seram-routes.ts';

/** The issuer app with what tests may want to look at besides HTTP. */
export interface IssuerApp extends Express {
  /** Live SERAM sessions (count only matters to tests). */
  readonly seramSessionCount: () => number;
}

/**
 * The card issuer's server (issue #4): card collation, install requests, GP SERAM remote
 * management, admin; `/openapi.json` describes all of it. An express app that never listens: the
 * caller serves it (`listen()`), tests on 127.0.0.1 port 0.
 */
export function createIssuerApp(deps: IssuerDeps): IssuerApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Every answer is a fresh state of a protocol exchange: no conditional GETs, so no ETag to hash.
  app.set('etag', false);
  healthRoute(app, () => deps.store.ping());
  app.use(requestLog(deps.logger));

  // Each route reads its own body (its own limit), after the router has authenticated the caller.
  const api = new ApiRouter({ securitySchemes: { adminToken: bearerTokenScheme(deps.adminToken) } });
  collationRoutes(api, deps);
  installRoutes(api, deps);
  const sessions = seramRoutes(api, deps);
  adminRoutes(api, deps);

  const document = api.openApi(
    {
      title: 'cardlab issuer',
      version: '1.0.0',
      description:
        'Card issuer server: card collation (S1–S3), card-signed install requests (S8–S10), GP SERAM remote management (S11–S14), ' +
        'provider notifications (S15, outbound) and administration. Every refusal is `{ error: { code, message, path? } }` with a 4xx status.',
    },
    {
      components: seramComponents(),
    },
  );
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(api.router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return Object.assign(app, { seramSessionCount: () => sessions.size });
}
