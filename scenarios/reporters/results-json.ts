import type { ScenarioResult, StepResult } from '../run-scenario.ts';
import { assumedRun, reportPath, scenarioLabel, summarize, timingOf, type SuiteRun, type SuiteSummary, type TraceFiles } from './suite-run.ts';

/**
 * The version of the `results.json` shape (`scenarios/results.schema.json`). Adding an optional field keeps
 * it; renaming, removing or changing the meaning of one raises it.
 */
export const RESULTS_SCHEMA_VERSION = 1;

export interface ScenarioReport {
  /** The scenario file, relative to the working directory (`(inline)` for a scenario given as an object). */
  file: string;
  name: string;
  tags: string[];
  seed: number;
  status: ScenarioResult['status'];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  skipReason?: string;
  failure?: ScenarioResult['failure'];
  steps: StepResult[];
  /** The trace files, relative to the working directory, when the run wrote them (`--trace-dir`). */
  traces?: TraceFiles;
}

export interface ResultsReport {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  startedAt: string;
  finishedAt: string;
  hostname: string;
  summary: SuiteSummary;
  results: ScenarioReport[];
}

// Fields are copied by name so that a field added to the runner's results appears here, and in the
// schema, by decision rather than by accident.
function stepReport(s: StepResult): StepResult {
  return { index: s.index, kind: s.kind, name: s.name, line: s.line, status: s.status, durationMs: s.durationMs, detail: s.detail, error: s.error, context: s.context };
}

function failureReport(f: ScenarioResult['failure']): ScenarioResult['failure'] {
  return f && { step: f.step, path: f.path, line: f.line, message: f.message, context: f.context };
}

/**
 * The machine-readable report of a run: schema version, summary, the run's start and end (ISO 8601,
 * UTC), and per scenario its outcome, span, steps and relative trace paths (the traces themselves are in
 * those files, not here). Without `run`, the run is taken to end now and last the sum of the scenarios.
 */
export function toResultsReport(results: ScenarioResult[], run?: Partial<SuiteRun>): ResultsReport {
  const r = assumedRun(results, run);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    hostname: r.hostname,
    summary: summarize(results, r),
    results: results.map((s, i) => {
      const t = timingOf(r, s);
      const traces = r.traces?.[i];
      return {
        file: reportPath(s.file, r.root),
        name: scenarioLabel(s, r.root),
        tags: s.tags,
        seed: s.seed,
        status: s.status,
        startedAt: t.startedAt.toISOString(),
        finishedAt: t.finishedAt.toISOString(),
        durationMs: s.durationMs,
        skipReason: s.skipReason,
        failure: failureReport(s.failure),
        steps: s.steps.map(stepReport),
        traces: traces && { text: reportPath(traces.text, r.root), jsonl: reportPath(traces.jsonl, r.root) },
      };
    }),
  };
}

/** {@link toResultsReport} as the text of `results.json` (undefined fields left out, two-space indent, final newline). */
export function toResultsJson(results: ScenarioResult[], run?: Partial<SuiteRun>): string {
  return `${JSON.stringify(toResultsReport(results, run), null, 2)}\n`;
}
