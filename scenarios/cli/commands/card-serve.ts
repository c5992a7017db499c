import type { Command } from 'commander';
import { parseSeed } from '../options.ts';
import { toHex } from '../../../protocol/bytes.ts';
import type { VpcdServerEvent } from '../../../reader-bridge/index.ts';

/** `[host:]port` → host and port (host defaults to loopback: vpcd listens on every address, we stay local). */
export function parseVpcdAddress(text: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new Error(`--vpcd wants [host:]port, e.g. 35963 or 127.0.0.1:35963, not '${text}'`);
  return { host: m[1] ?? '127.0.0.1', port };
}

function describeEvent(e: VpcdServerEvent): string {
  switch (e.kind) {
    case 'connected': return `connected to vpcd at ${e.address}: the card is in the reader`;
    case 'disconnected': return `disconnected from vpcd at ${e.address} (${e.reason})`;
    case 'retrying': return `vpcd at ${e.address} not reachable (${e.reason}); retrying in ${e.delayMs} ms`;
    case 'power-loss': return `card went mute: ${e.message}`;
    case 'card-error': return `card error (answered 6F00): ${e.message}`;
  }
}

/** `cardlab card serve --vpcd [host:]port --card card.json [--seed N]`: serve a card image to pcscd until SIGINT/SIGTERM. */
export function registerCardServe(card: Command): void {
  card
    .command('serve')
    .description("serve a card image to the system's PC/SC daemon through vsmartcard's vpcd driver until interrupted; the card image is written through at every commit")
    .requiredOption('--vpcd <[host:]port>', 'the vpcd driver to connect to (35963 = reader Virtual PCD 00 00)')
    .requiredOption('--card <file>', 'card image file (from `cardlab card new`)')
    .option('--seed <n>', "seed of the card's random source for this session", parseSeed, 0)
    .action(async (opts: { vpcd: string; card: string; seed: number }) => {
      const { loadCard } = await import('../../../simulator/index.ts');
      const { serveCardOverVpcd } = await import('../../../reader-bridge/index.ts');
      const { host, port } = parseVpcdAddress(opts.vpcd);
      const c = loadCard(opts.card, { seed: opts.seed, writeThrough: true });
      let quietRetries = false;
      const server = serveCardOverVpcd(c, {
        host,
        port,
        onEvent: (e) => {
          // One line per outage, not one per attempt.
          if (e.kind === 'retrying' && quietRetries) return;
          quietRetries = e.kind === 'retrying';
          process.stderr.write(`${describeEvent(e)}\n`);
        },
      });
      process.stdout.write(`serving ${toHex(c.profile.atr)} on ${host}:${port}\n`);
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await server.stop();
      c.saveImage(opts.card);
      process.stderr.write(`card saved to ${opts.card}\n`);
    });
}
