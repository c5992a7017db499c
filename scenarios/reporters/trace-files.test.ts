import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/support/temp-dir.ts';
import type { ScenarioResult } from '../run-scenario.ts';
import { writeTraceFiles } from './trace-files.ts';

const passed: ScenarioResult = { file: join(process.cwd(), 'scenarios', 'suite', 'a.yaml'), name: 'Same Name', tags: [], seed: 4, status: 'passed', durationMs: 1, steps: [], trace: [] };

describe('trace files', () => {
  it('returns the paths written, in result order, a second scenario of the same name getting -2', () => {
    const dir = tempDir('cardlab-traces-');
    const files = writeTraceFiles(dir, [passed, { ...passed, file: join(process.cwd(), 'b.yaml') }]);
    expect(files).toEqual([
      { text: join(dir, 'same-name.trace.txt'), jsonl: join(dir, 'same-name.trace.jsonl') },
      { text: join(dir, 'same-name-2.trace.txt'), jsonl: join(dir, 'same-name-2.trace.jsonl') },
    ]);
    expect(readFileSync(files[0]!.text, 'utf8')).toMatch(/^# Same Name \(scenarios\/suite\/a\.yaml\), seed 4: passed\n/);
  });

  it('names a file that could not be loaded by its relative path, not the absolute one', () => {
    const dir = tempDir('cardlab-traces-');
    const file = join(process.cwd(), 'test', 'fixtures', 'scenarios', 'bad-yaml.yaml');
    const [written] = writeTraceFiles(dir, [{ ...passed, file, name: file, status: 'error', failure: { message: 'not valid YAML' } }]);
    expect(written!.text).toBe(join(dir, 'test-fixtures-scenarios-bad-yaml-yaml.trace.txt'));
  });
});
