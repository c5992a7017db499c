import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolve } from 'node:path';

import type { RunningServers } from '../../../servers/index.ts';
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
 * `cardlab serve [--issuer-port N] [--provider-port N] [--data-dir DIR] [--database URL]`: the issuer and provider
 * servers on one data directory (the databases in it, or PostgreSQL with `--database`), with demo data on first start; prints `issuer: <url>`,
 * `provider: <url>`, `card: <path>`, `service: <id>` when ready; stops on SIGINT/SIGTERM.
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
    .option('--log-level <level>', 'log level on stderr (silent, error, warn, info, debug)', 'info')
    .addOption(new Option('--log-format <format>', 'log lines: pretty (one readable line per entry) or json; default pretty on a terminal, json otherwise').choices(['pretty', 'json']))
    .action(async (opts: { issuerPort: number; providerPort: number; dataDir: string; database?: string; logLevel: string; logFormat?: 'pretty' | 'json' }) => {
      const { newDemoCard } = await import('../../env/demo-card.ts');
      const { demoServices } = await import('../../env/demo-services.ts');
      const { createLogger, ensureDemoData, startServers } = await import('../../../servers/index.ts');
      const dataDir = resolve(opts.dataDir);
      // Logs go to stderr: stdout carries only the lines scripts read.
      const format = opts.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json');
      const logger = createLogger({ name: 'cardlab', level: opts.logLevel, destination: process.stderr, format });
      const servers = await startServers({ dataDir, issuerPort: opts.issuerPort, providerPort: opts.providerPort, logger, ...(opts.database ? { database: opts.database } : {}) });
      // ensureDemoData reads only the servers' deps, whichever the stores.
      const demo = await ensureDemoData(servers as RunningServers, dataDir, {
        card: (dap) => newDemoCard(dap, 'cardlab-serve-demo'),
        services: demoServices(),
      });
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
        // Ready only once a signal stops it cleanly: a script that reads these lines may stop it at once.
        process.stdout.write(`issuer: ${servers.issuerUrl}\nprovider: ${servers.providerUrl}\ncard: ${demo.cardPath}\nservice: ${demo.serviceIds[0]}\n`);
      });
    });
}
