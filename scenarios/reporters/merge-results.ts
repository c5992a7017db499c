import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseTimelineJsonLines, type TimelineEntry } from '../timeline/index.ts';
import type { ScenarioResult } from '../run-scenario.ts';
import { comparePaths } from '../shard.ts';
import { RESULTS_SCHEMA_VERSION, type ResultsReport, type ScenarioReport } from './results-json.ts';
import type { ScenarioTiming, SuiteRun, TraceFiles } from './suite-run.ts';

/** One run put together from the results.json of its shards, ready for the usual reporters. */
export interface MergedRun {
  /** Every scenario of every shard, in file order; the APDU traces stay in their files. */
  results: ScenarioResult[];
  /** Earliest start to latest end, each scenario's own span, the trace files, the shards' host names. */
  run: SuiteRun & { hostname: string };
  /** Per result: its timeline, when the shard wrote one and it was found. */
  timelines: Array<TimelineEntry[] | undefined>;
  /** What could not be carried over (trace files not found), one line each. */
  warnings: string[];
}

/** A results.json of `cardlab run --json`, refused when it is not one or has another schema version. */
export function readResultsFile(file: string): ResultsReport {
  if (!existsSync(file)) throw new Error(`no such results file: ${file}`);
  const report = JSON.parse(readFileSync(file, 'utf8')) as Partial<ResultsReport>;
  if (typeof report !== 'object' || report === null || !Array.isArray(report.results)) throw new Error(`${file} is not a cardlab results.json (no "results" list)`);
  if (report.schemaVersion !== RESULTS_SCHEMA_VERSION) throw new Error(`${file} has schemaVersion ${String(report.schemaVersion)}; this cardlab merges ${RESULTS_SCHEMA_VERSION}`);
  return report as ResultsReport;
}

/**
 * Where a file a shard's report names is now. Its path is relative to the folder that shard ran in,
 * which is gone; what is known is where its results.json was put (a CI artifact downloaded to
 * `reports-2/`). So the path's ends are tried under that folder first, longest first
 * (`reports/traces/x.trace.txt` as `reports-2/reports/traces/…`, then `reports-2/traces/…`), then the
 * path as it is, from the working directory (shards that ran in this very folder).
 */
export function locateShardFile(path: string, resultsFile: string): string | undefined {
  const parts = path.split('/').filter((p) => p !== '..' && p !== '.' && p !== '');
  const under = dirname(resolve(resultsFile));
  const candidates = [...parts.map((_, i) => join(under, ...parts.slice(i))), resolve(path)];
  return candidates.find((c) => existsSync(c));
}

const timelineOf = (traceJsonl: string) => traceJsonl.replace(/\.trace\.jsonl$/, '.timeline.jsonl');
const timelineTextOf = (traceJsonl: string) => traceJsonl.replace(/\.trace\.jsonl$/, '.timeline.txt');

/** The shard's result as the runner returned it, without its APDU trace (which is in the trace files). */
function asResult(s: ScenarioReport): ScenarioResult {
  return { file: s.file, name: s.name, tags: s.tags, seed: s.seed, status: s.status, durationMs: s.durationMs, steps: s.steps, skipReason: s.skipReason, failure: s.failure, trace: [] };
}

/** The trace (and timeline) files of one scenario, found, and copied into `traceDir` under a name not yet taken when given. */
function carryTraces(entry: ScenarioReport, from: string, traceDir: string | undefined, taken: Set<string>): { traces?: TraceFiles; timeline?: string; missing?: string } {
  if (!entry.traces) return {};
  const text = locateShardFile(entry.traces.text, from);
  const jsonl = locateShardFile(entry.traces.jsonl, from);
  if (!text || !jsonl) return { missing: `${entry.file}: trace files ${entry.traces.text} and ${entry.traces.jsonl} of ${from} not found; left out` };
  const timeline = existsSync(timelineOf(jsonl)) ? timelineOf(jsonl) : undefined;
  if (!traceDir) return { traces: { text, jsonl }, timeline };
  const stem = basename(jsonl).replace(/\.trace\.jsonl$/, '');
  let base = stem;
  for (let i = 2; taken.has(base); i++) base = `${stem}-${i}`;
  taken.add(base);
  const to = (ext: string) => join(traceDir, `${base}${ext}`);
  // A shard whose traces are already where they go (merged into its own trace folder) is left as it is.
  const copy = (from: string, ext: string) => resolve(from) !== resolve(to(ext)) && copyFileSync(from, to(ext));
  copy(text, '.trace.txt');
  copy(jsonl, '.trace.jsonl');
  if (timeline) {
    copy(timeline, '.timeline.jsonl');
    if (existsSync(timelineTextOf(jsonl))) copy(timelineTextOf(jsonl), '.timeline.txt');
  }
  return { traces: { text: to('.trace.txt'), jsonl: to('.trace.jsonl') }, timeline: timeline && to('.timeline.jsonl') };
}

/**
 * Puts the results.json of a suite's shards (`cardlab run --shard i/n --json`) together as one run: every
 * scenario in file order (a file reported by two shards is refused: the shards overlapped), the run from
 * the earliest start to the latest end, host names of all shards. Each shard's trace and timeline files
 * are found beside its results file and, with `traceDir`, copied there (renamed when two shards used one
 * name); else referenced where they are. Paths in the reports made from it are relative to the working directory.
 */
export function mergeRuns(files: readonly string[], opts: { traceDir?: string } = {}): MergedRun {
  if (files.length === 0) throw new Error('no results files to merge');
  const reports = files.map((file) => ({ file, report: readResultsFile(file) }));
  const seen = new Map<string, string>();
  const entries = reports.flatMap(({ file, report }) =>
    report.results.map((entry) => {
      const other = seen.get(entry.file);
      if (other !== undefined && entry.file !== '(inline)') throw new Error(`${entry.file} is in both ${other} and ${file}: the shards overlap`);
      seen.set(entry.file, file);
      return { entry, from: file };
    }),
  );
  entries.sort((a, b) => comparePaths(a.entry.file, b.entry.file));
  if (opts.traceDir) mkdirSync(opts.traceDir, { recursive: true });
  const taken = new Set<string>();
  const timings = new Map<ScenarioResult, ScenarioTiming>();
  const traces: TraceFiles[] = [];
  const timelines: Array<TimelineEntry[] | undefined> = [];
  const warnings: string[] = [];
  const results = entries.map(({ entry, from }, i) => {
    const result = asResult(entry);
    timings.set(result, { startedAt: new Date(entry.startedAt), finishedAt: new Date(entry.finishedAt) });
    const carried = carryTraces(entry, from, opts.traceDir, taken);
    if (carried.traces) traces[i] = carried.traces;
    if (carried.missing) warnings.push(carried.missing);
    timelines.push(carried.timeline ? parseTimelineJsonLines(readFileSync(carried.timeline, 'utf8')) : undefined);
    return result;
  });
  const instants = reports.flatMap(({ report }) => [Date.parse(report.startedAt), Date.parse(report.finishedAt)]);
  const hostnames = [...new Set(reports.map(({ report }) => report.hostname))];
  return {
    results,
    run: { startedAt: new Date(Math.min(...instants)), finishedAt: new Date(Math.max(...instants)), timings, traces, hostname: hostnames.join(', ') },
    timelines,
    warnings,
  };
}
