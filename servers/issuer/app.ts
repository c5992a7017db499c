import express, { type Express } from 'express';
import { ApiRouter, DEFAULT_BODY_LIMIT, errorHandler, jsonBody, notFoundHandler, requestLog } from '../http/index.ts';
import { seramComponents } from '../../protocol/seram/index.ts';
import { DEFAULTS, type IssuerDeps } from './issuer-deps.ts';
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
  app.use(requestLog(deps.logger));
  // CAP uploads carry a base64 CAP; every other body is small.
  app.use('/admin/applications', jsonBody(deps.capBodyLimit ?? DEFAULTS.capBodyLimit));
  app.use(jsonBody(DEFAULT_BODY_LIMIT));

  const api = new ApiRouter();
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
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
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
