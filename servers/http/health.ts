import type { Express } from 'express';

/**
 * `GET /healthz`: 200 `{ status: 'ok', database: 'ok' }` when the server's database answers, else 503
 * `{ error: { code: 'database_unavailable', message } }`. No authentication and no data: load balancers
 * and orchestration probes call it.
 */
export function healthRoute(app: Express, ping: () => Promise<void>): void {
  app.get('/healthz', (_req, res) => {
    ping().then(
      () => res.status(200).json({ status: 'ok', database: 'ok' }),
      (err: unknown) => res.status(503).json({ error: { code: 'database_unavailable', message: `the database does not answer: ${(err as Error).message}` } }),
    );
  });
}
