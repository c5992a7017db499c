import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolve } from 'node:path';

import type { Logger } from '../../../servers/index.ts';
import { parsePort } from '../options.ts';

/** Default ports of `cardlab serve`, stable so that a terminal or a scenario can be pointed at them (0 picks free ones). */
export const DEFAULT_ISSUER_PORT = 7410;
export const DEFAULT_PROVIDER_PORT = 7411;

/** A PostgreSQL URL for `--database` (or DATABASE_URL); its password is never echoed back. */
function parseDatabaseUrl(value: string): string {
  if (!/^postgres(ql)?:\/\/\S+$/i.test(value)) throw new InvalidArgumentError(`expected a postgres:// or postgresql:// URL, got '${value.replace(/\/\/[^@/]*@/, '//…@')}'.`);
  return value;
}

/**
 * `cardlab serve [--issuer-port N] [--provider-port N] [--data-dir DIR] [--database URL] [--provider-only | --issuer-only]`:
 * the issuer and provider servers on one data directory (the databases in it, or PostgreSQL with `--database`), with demo
 * data on first start; prints `issuer: <url>`, `provider: <url>`, `card: <path>`, `service: <id>` when ready (the lines of
 * the servers it runs); stops on SIGINT/SIGTERM. Several instances on one PostgreSQL database and one data directory:
 * first `--provider-only` (it creates the shared files, registers the provider, makes the demo data), then any number
 * of `--issuer-only`.
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the card issuer and service provider servers (embedded database, demo data on first start)')
    .option('--issuer-port <n>', 'issuer port (0 picks a free one)', parsePort, DEFAULT_ISSUER_PORT)
    .option('--provider-port <n>', 'provider port (0 picks a free one)', parsePort, DEFAULT_PROVIDER_PORT)
    .option('--data-dir <dir>', 'databases, keys and demo card (keep it out of a git repository, or ignore it)', './.cardlab')
    .addOption(
      new Option('--database <url>', 'PostgreSQL for both servers (postgres://user@host:port/db; schemas issuer and provider) instead of the SQLite files in the data directory')
        .env('DATABASE_URL')
        .argParser(parseDatabaseUrl),
    )
    .addOption(new Option('--provider-only', 'serve only the provider, and initialise the data directory and the database for issuer instances (needs --database)').conflicts('issuerOnly'))
    .addOption(new Option('--issuer-only', 'serve only an issuer instance on a data directory and database a --provider-only (or full) serve initialised (needs --database)').conflicts('providerOnly'))
    .option('--outbox-claim-ms <ms>', 'with --database: how long a notification an instance claimed is kept from the others (another sends it after this when that instance died)', parseMs)
    .option('--log-level <level>', 'log level on stderr (silent, error, warn, info, debug)', 'info')
    .addOption(new Option('--log-format <format>', 'log lines: pretty (one readable line per entry) or json; default pretty on a terminal, json otherwise').choices(['pretty', 'json']))
    .action(async (opts: ServeCliOptions) => {
      if ((opts.issuerOnly || opts.providerOnly) && !opts.database) throw new Error(`--${opts.issuerOnly ? 'issuer' : 'provider'}-only needs --database (or DATABASE_URL): instances share one PostgreSQL database.`);
      const dataDir = resolve(opts.dataDir);
      // Logs go to stderr: stdout carries only the lines scripts read.
      const format = opts.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json');
      const { createLogger } = await import('../../../servers/index.ts');
      const logger = createLogger({ name: 'cardlab', level: opts.logLevel, destination: process.stderr, format });
      const servers = await start(opts, dataDir, logger);
      await new Promise<void>((done) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          logger.info({ signal }, 'shutting down: no new requests, the outbox stops, databases close');
          servers.close().then(() => {
            logger.info('stopped');
            done();
          }, (err: unknown) => {
            process.stderr.write(`cardlab serve: ${(err as Error).message}\n`);
            process.exitCode = 1;
            done();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        // CARDLAB_OWNER_PID: a test (or any supervisor) that started this server; when that process is gone,
        // however it ended (even SIGKILL), the server stops as if told SIGTERM, so nothing is left running.
        const owner = Number(process.env.CARDLAB_OWNER_PID ?? 0);
        if (owner > 0) {
          const watchdog = setInterval(() => {
            try {
              process.kill(owner, 0);
            } catch {
              clearInterval(watchdog);
              stop('SIGTERM');
            }
          }, 500);
          watchdog.unref();
        }
        // Ready only once a signal stops it cleanly: a script that reads these lines may stop it at once.
        process.stdout.write(servers.ready);
      });
    });
}

function parseMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError(`expected whole milliseconds of at least 100, got '${value}'.`);
  return n;
}

interface ServeCliOptions {
  issuerPort: number;
  providerPort: number;
  dataDir: string;
  database?: string;
  providerOnly?: boolean;
  outboxClaimMs?: number;
  issuerOnly?: boolean;
  logLevel: string;
  logFormat?: 'pretty' | 'json';
}

/** Starts what the options ask for; `ready` is the lines printed once it serves. */
async function start(opts: ServeCliOptions, dataDir: string, logger: Logger): Promise<{ ready: string; close(): Promise<void> }> {
  const { ensureDemoData, startIssuerInstance, startProviderInstance, startServers } = await import('../../../servers/index.ts');
  const base = { dataDir, issuerPort: opts.issuerPort, providerPort: opts.providerPort, logger, ...(opts.database ? { database: opts.database } : {}), ...(opts.outboxClaimMs !== undefined ? { outbox: { claimMs: opts.outboxClaimMs } } : {}) };
  if (opts.issuerOnly) {
    const issuer = await startIssuerInstance(base);
    return { ready: `issuer: ${issuer.issuerUrl}\n`, close: () => issuer.close() };
  }
  const { newDemoCard } = await import('../../env/demo-card.ts');
  const { demoServices } = await import('../../env/demo-services.ts');
  const demo = { card: (dap: Uint8Array) => newDemoCard(dap, 'cardlab-serve-demo'), services: demoServices() };
  if (opts.providerOnly) {
    const provider = await startProviderInstance(base);
    const data = await ensureDemoData(provider, dataDir, demo);
    return { ready: `provider: ${provider.providerUrl}\ncard: ${data.cardPath}\nservice: ${data.serviceIds[0]}\n`, close: () => provider.close() };
  }
  const servers = await startServers(base);
  // ensureDemoData reads only the servers' deps, whichever the stores.
  const data = await ensureDemoData(servers, dataDir, demo);
  return { ready: `issuer: ${servers.issuerUrl}\nprovider: ${servers.providerUrl}\ncard: ${data.cardPath}\nservice: ${data.serviceIds[0]}\n`, close: () => servers.close() };
}
