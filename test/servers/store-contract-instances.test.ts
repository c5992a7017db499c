/**
 * Several stateless issuer instances over one PostgreSQL database: two `startServers` on one data
 * directory (the same key files and secrets) and one database, behind a round-robin balancer, so each
 * request of a provisioning goes to the other instance than the one before — the SERAM handshake to one,
 * the next report to the other. Skipped without PostgreSQL (what to install is said), a failure under CI.
 */
import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimReader } from '../../reader-bridge/index.ts';
import { newDemoCard } from '../../scenarios/env/demo-card.ts';
import { demoServices } from '../../scenarios/env/demo-services.ts';
import { createLogger, ensureDemoData, startServers, type RunningServers } from '../../servers/index.ts';
import { loadCard } from '../../simulator/index.ts';
import { provision } from '../../terminal/index.ts';
import { findPostgresBin, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { postgresLane } from '../support/system-components.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A balancer that sends each request to the next target in turn, and remembers which got what. */
async function roundRobin(targets: string[]): Promise<{ url: string; served: Array<{ path: string; target: number }>; close(): Promise<void> }> {
  const served: Array<{ path: string; target: number }> = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const target = next++ % targets.length;
    served.push({ path: (req.url ?? '').replace(/\?.*$/, ''), target });
    const to = new URL(targets[target]!);
    const forward = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, served, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const lane = postgresLane(findPostgresBin);
describe.skipIf(lane.skip !== undefined)(`several issuer instances over one PostgreSQL database${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  let cluster: PrivatePostgres | undefined;
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
  });
  afterAll(() => cluster?.stop());

  it('provisions a card while every request goes to the other instance: one does the SERAM handshake, the other takes the next report', async () => {
    const dataDir = tempDir('cardlab-instances-');
    const logger = createLogger({ name: 'test', level: 'silent' });
    const options = { dataDir, database: cluster!.url, issuerPort: 0, providerPort: 0, logger, outbox: { baseDelayMs: 50, pollMs: 50 } };
    const instances: RunningServers[] = [];
    let balancer: Awaited<ReturnType<typeof roundRobin>> | undefined;
    try {
      // ensureDemoData reads only the servers' deps, whichever the stores.
      instances.push((await startServers(options)) as RunningServers, (await startServers(options)) as RunningServers);
      const demo = await ensureDemoData(instances[0]!, dataDir, { card: (dap) => newDemoCard(dap, 'two-instances'), services: demoServices() });
      balancer = await roundRobin(instances.map((i) => i.issuerUrl));
      const card = loadCard(demo.cardPath, { seed: '0' });
      const result = await provision({ reader: createSimReader(card), issuerUrl: balancer.url, providerUrl: instances[1]!.providerUrl, serviceId: demo.serviceIds[0]! });
      expect(result.outcome, JSON.stringify(result.steps.at(-1))).toBe('completed');

      const seram = balancer.served.filter((s) => s.path.startsWith('/gp/seram/'));
      expect(seram.map((s) => s.path)).toEqual(['/gp/seram/handshake', '/gp/seram/remoteManagement', '/gp/seram/remoteManagement', '/gp/seram/remoteManagement']);
      for (let i = 1; i < seram.length; i++) expect(seram[i]!.target).not.toBe(seram[i - 1]!.target);

      const store = instances[0]!.issuer.store;
      const [order] = await store.listOrders({ state: 'confirmed' });
      expect(order).toBeDefined();
      expect(await store.getSeramSession(order!.sessionId)).toBeUndefined(); // ended: forgotten
      expect((await instances[1]!.provider.store.listMembers()).map((m) => m.state)).toEqual(['active']);
    } finally {
      await balancer?.close();
      for (const i of instances) await i.close();
    }
  });
});
