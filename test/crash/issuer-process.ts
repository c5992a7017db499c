/**
 * The card issuer alone, as its own OS process, for the crash campaign:
 *
 *   node --import tsx test/crash/issuer-process.ts --data-dir DIR --notify URL [--crash KILL-POINT]
 *
 * It serves the issuer of a `cardlab serve` data directory (`issuer/issuer.db`, `issuer/keys/`,
 * `secrets.json`) on 127.0.0.1 port 0 with its outbox worker telling the provider at `--notify`, and
 * prints `issuer: <url>` when ready. Every request it receives and every store write it makes is
 * numbered and printed (`event request 3 POST /gp/seram/handshake`, `event write 2 createAuthorisedOrder`);
 * with `--crash request-before:N | request-after:N | write-before:N | write-after:N` it prints
 * `crash <point>` and SIGKILLs itself there — no handler, no finally, no flush runs. SIGTERM stops
 * it cleanly (outbox, port, database).
 */
import express from 'express';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemRandom } from '../../protocol/crypto/index.ts';
import { createIssuerApp, createLogger, listen, loadOrCreateIssuerKeys, openDataDir, OutboxWorker, SqliteIssuerStore, systemClock, type IssuerDeps } from '../../servers/index.ts';
import { numberedWrites } from './crashing-store.ts';

import { formatEvent, formatKillPoint, parseKillPoint, type KillPoint } from './kill-point.ts';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, notify: { type: 'string' }, crash: { type: 'string' } } });
if (!values['data-dir'] || !values.notify) {
  process.stderr.write('usage: issuer-process.ts --data-dir DIR --notify URL [--crash request-before:N|request-after:N|write-before:N|write-after:N]\n');
  process.exit(2);
}
const dataDir = resolve(values['data-dir']);
const crash: KillPoint | undefined = values.crash ? parseKillPoint(values.crash) : undefined;

/** Printed synchronously (stdout to a pipe or file is synchronous on Linux), so it is out before a kill. */
const say = (line: string) => process.stdout.write(`${line}\n`);

function maybeDie(kind: KillPoint['kind'], n: number, when: KillPoint['when']): void {
  if (crash && crash.kind === kind && crash.n === n && crash.when === when) {
    say(`crash ${formatKillPoint(crash)}`);
    process.kill(process.pid, 'SIGKILL');
  }
}

// Wired as startServers (servers/serve.ts) wires the issuer, without the provider.
const random = systemRandom();
const { box, secrets } = openDataDir(dataDir, random);
const logger = createLogger({ name: 'crash-issuer', level: process.env.CRASH_ISSUER_LOG ?? 'warn', destination: process.stderr });
const keys = await loadOrCreateIssuerKeys(join(dataDir, 'issuer', 'keys'), random, box);
const realStore = new SqliteIssuerStore(join(dataDir, 'issuer', 'issuer.db'), { secrets: box });
// The provider listens on a new port each run: pointed at it before any write is counted.
await realStore.setProviderNotificationUrl(secrets.providerId, values.notify);

const store = numberedWrites(realStore, (n, method, when) => {
  if (when === 'before') say(formatEvent({ kind: 'write', n, what: method }));
  maybeDie('write', n, when);
});
const outbox = new OutboxWorker({ store, logger: logger.child({ part: 'outbox' }), clock: systemClock, random, baseDelayMs: 50, pollMs: 250 });
const deps: IssuerDeps = { store, keys, adminToken: secrets.adminToken, logger, random, clock: systemClock, onNotificationQueued: () => outbox.wake() };

// An outer app numbers requests before the issuer's own middleware sees them.
let requests = 0;
const app = express();
app.use((req, res, next) => {
  const n = ++requests;
  // Ids in a path (`/install-orders/<uuid>`) differ between runs; the kill point is named by the route.
  say(formatEvent({ kind: 'request', n, what: `${req.method} ${req.path.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/gi, ':id')}` }));
  maybeDie('request', n, 'before');
  // The handler has done its work when it ends the response; die before the answer leaves.
  const end = res.end.bind(res) as (...a: unknown[]) => typeof res;
  res.end = ((...args: unknown[]) => {
    maybeDie('request', n, 'after');
    return end(...args);
  }) as typeof res.end;
  next();
});
app.use(createIssuerApp(deps));
const listening = await listen(app, 0, '127.0.0.1');
outbox.start();

const stop = () => {
  process.off('SIGTERM', stop);
  void (async () => {
    await outbox.stop();
    await listening.close();
    await realStore.close();
    process.exit(0);
  })();
};
// Before the ready line: a SIGTERM sent as soon as it is read is a clean stop.
process.on('SIGTERM', stop);
say(`issuer: ${listening.url}`);
