import { InvalidArgumentError, type Command } from 'commander';
import { resolve } from 'node:path';
import { newDemoCard } from '../../env/demo-card.ts';
import { demoServices } from '../../env/demo-services.ts';
import { createLogger, ensureDemoData, startServers } from '../../../servers/index.ts';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0..65535 (0 picks a free one).');
  return n;
}

/**
 * `cardlab serve [--issuer-port N] [--provider-port N] [--data-dir DIR]`: the issuer and provider
 * servers on one data directory, with demo data on first start; prints `issuer: <url>`,
 * `provider: <url>`, `card: <path>`, `service: <id>` when ready; stops on SIGINT/SIGTERM.
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the card issuer and service provider servers (embedded database, demo data on first start)')
    .option('--issuer-port <n>', 'issuer port (0 picks a free one)', parsePort, 0)
    .option('--provider-port <n>', 'provider port (0 picks a free one)', parsePort, 0)
    .option('--data-dir <dir>', 'databases, keys and demo card', './.cardlab')
    .option('--log-level <level>', 'pino log level for stderr (silent, error, warn, info, debug)', 'info')
    .action(async (opts: { issuerPort: number; providerPort: number; dataDir: string; logLevel: string }) => {
      const dataDir = resolve(opts.dataDir);
      // Logs go to stderr: stdout carries only the lines scripts read.
      const logger = createLogger({ name: 'cardlab', level: opts.logLevel, destination: process.stderr });
      const servers = await startServers({ dataDir, issuerPort: opts.issuerPort, providerPort: opts.providerPort, logger });
      const demo = await ensureDemoData(servers, dataDir, {
        card: (dap) => newDemoCard(dap, 'cardlab-serve-demo'),
        services: demoServices(),
      });
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          servers.close().then(done, (err: unknown) => {
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
