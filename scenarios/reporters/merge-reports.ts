import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderHtmlReport } from './html/index.ts';
import { toJunitXml } from './junit-reporter.ts';
import { mergeRuns } from './merge-results.ts';
import { toResultsReport } from './results-json.ts';
import type { SuiteSummary } from './suite-run.ts';

/** Where `cardlab report merge` writes: any of the three reports, and the folder the shards' traces are copied to. */
export interface MergeOutputs {
  json?: string;
  junit?: string;
  html?: string;
  traceDir?: string;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * Merges the results.json of a sharded run's parts (see {@link mergeRuns}) and writes the reports an
 * unsharded `cardlab run` would have: results.json (summary recomputed), JUnit XML and the HTML report,
 * each made by the same reporter as there. Returns the merged summary and what could not be carried over.
 */
export function writeMergedReports(files: readonly string[], out: MergeOutputs): { summary: SuiteSummary; warnings: string[] } {
  const merged = mergeRuns(files, { traceDir: out.traceDir });
  const report = toResultsReport(merged.results, merged.run);
  if (out.json) write(out.json, `${JSON.stringify(report, null, 2)}\n`);
  if (out.junit) write(out.junit, toJunitXml(merged.results, undefined, merged.run));
  if (out.html) write(out.html, renderHtmlReport({ results: report, timelines: merged.timelines }));
  return { summary: report.summary, warnings: merged.warnings };
}
