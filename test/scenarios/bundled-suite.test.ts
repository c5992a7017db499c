import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { collectScenarioFiles, runSuite } from '../../scenarios/run-suite.ts';

const SUITE = join(import.meta.dirname, '..', '..', 'scenarios', 'suite');

describe('the bundled scenario suite (what npm start runs)', () => {
  it('has at least 25 scenarios, and every one passes (skipped only off CI, for a missing PC/SC stack)', async () => {
    const files = collectScenarioFiles([SUITE]);
    expect(files.length).toBeGreaterThanOrEqual(25);
    const results = await runSuite([SUITE], { workers: 1 });
    // `skipped` means this machine lacks what a scenario's reader needs (reader: vpcd without pcscd and
    // vsmartcard-vpcd); `cardlab run` accepts that on a developer's machine. Not under CI: .ci/run
    // installs the PC/SC packages, so a skip there would mean the vpcd lane silently stopped running.
    const skipped = results.filter((r) => r.status === 'skipped');
    if (skipped.length && !process.env.CI) console.warn(`skipped (allowed outside CI): ${skipped.map((r) => `${r.file}: ${r.skipReason}`).join('; ')}`);
    const failed = results
      .filter((r) => r.status !== 'passed' && (r.status !== 'skipped' || process.env.CI))
      .map((r) => `${r.file}: ${r.status === 'skipped' ? `skipped under CI: ${r.skipReason}` : r.failure?.message}`);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(files.length);
  });
});
