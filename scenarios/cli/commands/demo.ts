import type { Command } from 'commander';
import { parseSeed } from '../options.ts';

/** `cardlab demo [--seed N]`: an annotated card session (what `npm start` runs). */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a seeded card session and print its annotated APDU trace')
    .option('--seed <n>', 'card seed (a non-negative integer)', parseSeed, 1)
    .action(async (opts: { seed: number }) => {
      const { runCardSessionDemo } = await import('../../demo/card-session-demo.ts');
      const surprises = runCardSessionDemo({ seed: opts.seed });
      process.exitCode = surprises === 0 ? 0 : 1;
    });
}
