import type { Command } from 'commander';
import { parseSeed } from '../options.ts';

/** `cardlab card shell --card card.json [--seed N] [--annotate]`: drive a card image with C-APDUs on standard input. */
export function registerCardShell(card: Command): void {
  card
    .command('shell')
    .description('power the card on, read one C-APDU (hex) per line from stdin, print one R-APDU per line; the card image is written through at every commit')
    .requiredOption('--card <file>', 'card image file (from `cardlab card new`)')
    .option('--seed <n>', "seed of the card's random source for this session", parseSeed, 0)
    .option('--annotate', 'print # lines explaining each exchange')
    .action(async (opts: { card: string; seed: number; annotate?: boolean }) => {
      const { loadCard, runCardShell } = await import('../../../simulator/index.ts');
      const c = loadCard(opts.card, { seed: opts.seed, writeThrough: true });
      await runCardShell({ card: c, input: process.stdin, output: process.stdout, annotate: opts.annotate === true });
      // Every commit is already on disk; this last save seals an image that was read plain (/1).
      c.powerOff();
      c.saveImage(opts.card);
    });
}
