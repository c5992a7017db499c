import type { Command } from 'commander';
import { parseSeed } from '../options.ts';
import { dirname, join } from 'node:path';

/** `cardlab card new [--profile FILE] [--seed N] -o card.json`: personalises a card and writes its image. */
export function registerCardNew(card: Command): void {
  card
    .command('new')
    .description('personalise a new card from a profile and write its card image')
    .option('--profile <file>', 'card profile (JSON, see simulator/profile/card-profile.schema.json)')
    .option('--seed <n>', 'seed for card-unique data the profile leaves open (CIN, IC serial)', parseSeed, 0)
    .requiredOption('-o, --output <file>', 'card image file to write')
    .action(async (opts: { profile?: string; seed: number; output: string }) => {
      const { createCard, readProfileFile } = await import('../../../simulator/index.ts');
      const profile = opts.profile ? readProfileFile(opts.profile) : {};
      const c = createCard({ profile, seed: opts.seed });
      c.saveImage(opts.output);
      process.stdout.write(`wrote ${opts.output}: ${c.profile.name}, ${c.store.freeBytes()} of ${c.store.capacity} bytes of persistent memory free\n`);
      // The image is sealed: say which key opens it, so it travels with the image.
      const key = process.env.CARDLAB_DATA_KEY ? 'the CARDLAB_DATA_KEY keyring' : join(dirname(opts.output), 'data-keys.json');
      process.stdout.write(`sealed with ${key} (keep it with the image)\n`);
    });
}
