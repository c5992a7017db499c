import { runScenario } from './run-scenario.ts';
import type { SuiteOptions } from './run-suite.ts';

/** A scenario worker process: runs the scenarios its parent sends, one at a time, and sends back results. */
process.on('message', async (m: { file: string; options: Pick<SuiteOptions, 'seed' | 'reader'> }) => {
  const result = await runScenario(m.file, { seed: m.options.seed, reader: m.options.reader });
  process.send!(result);
});
