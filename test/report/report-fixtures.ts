import { join } from 'node:path';
import { runScenario, type ScenarioResult } from '../../scenarios/run-scenario.ts';
import { toResultsReport } from '../../scenarios/reporters/results-json.ts';
import { renderHtmlReport } from '../../scenarios/reporters/html/index.ts';

export const REPORT_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'report');

/** The report of the fixture run: a failing card scenario (6A88 where 9000 was expected) and a faulted provisioning one. */
export async function fixtureReport(): Promise<{ results: ScenarioResult[]; html: string }> {
  const results = [await runScenario(join(REPORT_FIXTURES, 'failing-get-data.yaml')), await runScenario(join(REPORT_FIXTURES, 'faulted-provision.yaml'))];
  const html = renderHtmlReport({ results: toResultsReport(results), timelines: results.map((r) => r.timeline), reader: 'sim' });
  return { results, html };
}
