import type { Command } from 'commander';
import { runCardSessionDemo } from '../../demo/card-session-demo.ts';

/** `cardlab demo [--seed N]`: an annotated card session (what `npm start` runs). */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a seeded card session and print its annotated APDU trace')
    .option('--seed <n>', 'card seed', '1')
    .action((opts: { seed: string }) => {
      const surprises = runCardSessionDemo({ seed: Number(opts.seed) });
      process.exitCode = surprises === 0 ? 0 : 1;
    });
}
