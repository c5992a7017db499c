import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runScenario, type ScenarioResult } from '../run-scenario.ts';
import { reportFixtureRun } from '../../test/support/report-fixture-run.ts';
import { resultsSchemaErrors } from '../../test/support/results-schema.ts';
import { RESULTS_SCHEMA_VERSION, toResultsJson, toResultsReport } from './results-json.ts';
import { createSuiteRunRecorder, type SuiteRun } from './suite-run.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SUITE = join(ROOT, 'scenarios', 'suite');

const skipped: ScenarioResult = { file: join(SUITE, 'over-vpcd.yaml'), name: 'over vpcd', tags: ['pcsc'], seed: 0, status: 'skipped', durationMs: 2, steps: [], trace: [], skipReason: 'reader vpcd: needs pcscd and vsmartcard-vpcd' };

describe('results.json', () => {
  it('a real run (failed step, malformed files, a pass, a skip) validates against scenarios/results.schema.json', async () => {
    const { results, traces } = await reportFixtureRun(skipped);
    const report = JSON.parse(toResultsJson(results, { startedAt: new Date(Date.now() - 5000), finishedAt: new Date(), root: ROOT, traces })) as unknown;
    expect(resultsSchemaErrors(report)).toEqual([]);
    expect(report).toMatchObject({ schemaVersion: RESULTS_SCHEMA_VERSION, summary: { total: 5, passed: 1, failed: 3, errors: 2, skipped: 1, durationMs: 5000 } });
  });

  it('the schema refuses a report without summary or with an unknown status, so the check has teeth', () => {
    const report = toResultsReport([skipped]);
    expect(resultsSchemaErrors({ ...report, summary: undefined }).join('\n')).toMatch(/summary/);
    expect(resultsSchemaErrors({ ...report, results: [{ ...report.results[0], status: 'flaky' }] }).join('\n')).toMatch(/status|enum/);
    expect(resultsSchemaErrors({ ...report, results: [{ ...report.results[0], skipReason: undefined }] }).join('\n')).toMatch(/skipReason/);
  });

  it('the summary duration is the wall-clock time of the run, not the sum of the scenarios', () => {
    const run: SuiteRun = { startedAt: new Date('2026-11-30T06:00:00.000Z'), finishedAt: new Date('2026-11-30T06:00:01.500Z') };
    const r = toResultsReport([{ ...skipped, durationMs: 1200 }, { ...skipped, durationMs: 1300 }], run);
    expect(r.summary.durationMs).toBe(1500);
    expect(r).toMatchObject({ startedAt: '2026-11-30T06:00:00.000Z', finishedAt: '2026-11-30T06:00:01.500Z' });
  });

  it('each scenario has its start, end and duration as the recorder saw it, its file and trace paths relative', () => {
    let now = Date.parse('2026-11-30T06:00:00.000Z');
    const recorder = createSuiteRunRecorder(() => new Date(now));
    now += 2000;
    recorder.finished(skipped);
    now += 100;
    const r = toResultsReport([skipped], { ...recorder.finish(), root: ROOT, traces: [{ text: join(ROOT, 'reports/traces/over-vpcd.trace.txt'), jsonl: join(ROOT, 'reports/traces/over-vpcd.trace.jsonl') }] });
    expect(r.results[0]).toMatchObject({
      file: 'scenarios/suite/over-vpcd.yaml',
      startedAt: '2026-11-30T06:00:01.998Z',
      finishedAt: '2026-11-30T06:00:02.000Z',
      durationMs: 2,
      traces: { text: 'reports/traces/over-vpcd.trace.txt', jsonl: 'reports/traces/over-vpcd.trace.jsonl' },
    });
    expect(r.summary.durationMs).toBe(2100);
  });

  it('leaves the APDU trace itself out (it is in the trace files)', async () => {
    const r = await runScenario(join(SUITE, 'card-locked.yaml'));
    expect(r.trace.length).toBeGreaterThan(0);
    expect(toResultsJson([r])).not.toContain('"trace"');
  });
});
