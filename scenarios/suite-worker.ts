import { runScenario } from './run-scenario.ts';
import type { SuiteOptions } from './run-suite.ts';

/**
 * A scenario worker process: runs the scenarios its parent sends, one at a time, and sends back results.
 * Ctrl-C reaches the whole process group; the parent decides what an interruption means (it stops the
 * workers and writes the partial reports), so the worker ignores SIGINT and stops on the parent's SIGTERM.
 */
process.on('SIGINT', () => undefined);
process.on('message', async (m: { file: string; options: Pick<SuiteOptions, 'seed' | 'reader' | 'keys'> }) => {
  const result = await runScenario(m.file, { seed: m.options.seed, reader: m.options.reader, keys: m.options.keys });
  // The parent may have gone (interrupted) while this scenario ran: nothing to answer then.
  if (process.connected) process.send!(result, (err: Error | null) => void err);
});
process.on('disconnect', () => process.exit(0));
