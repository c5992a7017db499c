import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { collectScenarioFiles, runSuite } from '../../scenarios/run-suite.ts';

const SUITE = join(import.meta.dirname, '..', '..', 'scenarios', 'suite');

describe('the bundled scenario suite (what npm start runs)', () => {
  it('has at least 25 scenarios, and every one passes', async () => {
    const files = collectScenarioFiles([SUITE]);
    expect(files.length).toBeGreaterThanOrEqual(25);
    const results = await runSuite([SUITE], { workers: 1 });
    const failed = results.filter((r) => r.status !== 'passed').map((r) => `${r.file}: ${r.failure?.message}`);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(files.length);
  });
});
