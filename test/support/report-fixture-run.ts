import { join } from 'node:path';
import { runScenario, type ScenarioResult } from '../../scenarios/run-scenario.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'scenarios');
const SUITE = join(ROOT, 'scenarios', 'suite');

/**
 * A real run with every kind of result a report must carry: a failed step, a malformed file, a file that is
 * not YAML, a pass, and a skip (given); with the trace paths a `--trace-dir` would have written.
 */
export async function reportFixtureRun(skipped: ScenarioResult): Promise<{ results: ScenarioResult[]; traces: Array<{ text: string; jsonl: string }> }> {
  const results = [
    await runScenario(join(FIXTURES, 'broken-expectation.yaml')),
    await runScenario(join(FIXTURES, 'malformed-sw.yaml')),
    await runScenario(join(FIXTURES, 'bad-yaml.yaml')),
    await runScenario(join(SUITE, 'card-locked.yaml')),
    skipped,
  ];
  const traces = results.map((_, i) => ({ text: join(ROOT, 'reports', 'traces', `t${i}.trace.txt`), jsonl: join(ROOT, 'reports', 'traces', `t${i}.trace.jsonl`) }));
  return { results, traces };
}
