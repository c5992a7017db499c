import { runScenario } from './run-scenario.ts';
import { environmentFor, type SuiteOptions } from './run-suite.ts';

/** A scenario worker process: runs the scenarios its parent sends, one at a time, and sends back results. */
process.on('message', async (m: { file: string; options: Pick<SuiteOptions, 'seed' | 'reader' | 'environment'> }) => {
  const result = await runScenario(m.file, { seed: m.options.seed, reader: m.options.reader, environment: await environmentFor(m.options.environment) });
  process.send!(result);
});
