import { hostname } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ScenarioResult } from '../run-scenario.ts';

/** The two trace files written for one scenario, as paths under the folder given to `writeTraceFiles`. */
export interface TraceFiles {
  /** Annotated text in the golden-transcript format (`>>`, `#`, `<<`): readable, replayable. */
  text: string;
  /** One JSON object per APDU exchange. */
  jsonl: string;
}

/** When one scenario ran, as the suite runner saw it. */
export interface ScenarioTiming {
  startedAt: Date;
  finishedAt: Date;
}

/**
 * What a report knows of the run beyond the results: its wall-clock span, when each scenario ran, the
 * trace files written, and the folder every path in the report is relative to.
 */
export interface SuiteRun {
  startedAt: Date;
  finishedAt: Date;
  /** Per result (by identity); a result without one is given the span its duration ends at `finishedAt`. */
  timings?: ReadonlyMap<ScenarioResult, ScenarioTiming>;
  /** Trace files per result, in result order, as `writeTraceFiles` returns them. */
  traces?: readonly TraceFiles[];
  /** Paths in the report are relative to this folder (default: the working directory). */
  root?: string;
  /** The machine the suite ran on (default: this one's host name). */
  hostname?: string;
}

/** Counts of a run: `failed` includes the scenarios that could not run (also counted in `errors`), so total = passed + failed + skipped. */
export interface SuiteSummary {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  durationMs: number;
}

/**
 * Records a suite run for the reports: the start now, each scenario's end as the runner hands its result
 * over (its start is that end less its own duration, which the worker measured), the end at `finish`.
 */
export function createSuiteRunRecorder(now: () => Date = () => new Date()): {
  finished(result: ScenarioResult): void;
  finish(): SuiteRun;
} {
  const startedAt = now();
  const timings = new Map<ScenarioResult, ScenarioTiming>();
  return {
    finished(result) {
      const finishedAt = now();
      timings.set(result, { startedAt: new Date(finishedAt.getTime() - result.durationMs), finishedAt });
    },
    finish: () => ({ startedAt, finishedAt: now(), timings }),
  };
}

/** The run a report describes when the caller gave none: it ended now and lasted the sum of the scenarios. */
export function assumedRun(results: readonly ScenarioResult[], run?: Partial<SuiteRun>): SuiteRun & { hostname: string } {
  const finishedAt = run?.finishedAt ?? new Date();
  const startedAt = run?.startedAt ?? new Date(finishedAt.getTime() - results.reduce((t, r) => t + r.durationMs, 0));
  return { ...run, startedAt, finishedAt, hostname: run?.hostname ?? (hostname() || 'localhost') };
}

/** When a scenario ran: as recorded, or else the span of its duration ending when the run did. */
export function timingOf(run: SuiteRun, result: ScenarioResult): ScenarioTiming {
  const t = run.timings?.get(result);
  if (t) return t;
  return { startedAt: new Date(run.finishedAt.getTime() - result.durationMs), finishedAt: run.finishedAt };
}

/** The counts of a run and its wall-clock duration (from the run's span, not the sum of the scenarios). */
export function summarize(results: readonly ScenarioResult[], run: SuiteRun): SuiteSummary {
  const count = (s: ScenarioResult['status']) => results.filter((r) => r.status === s).length;
  const errors = count('error');
  return {
    total: results.length,
    passed: count('passed'),
    failed: count('failed') + errors,
    errors,
    skipped: count('skipped'),
    durationMs: Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()),
  };
}

/** A result's name as reports show it: a file that could not be loaded is named by its path, so that path is made relative too. */
export function scenarioLabel(result: ScenarioResult, root?: string): string {
  return result.name === result.file ? reportPath(result.file, root) : result.name;
}

/**
 * A path as the report shows it: relative to `root` (default: the working directory), with `/` separators
 * on every platform; the label of an inline scenario (`(inline)`) is kept.
 */
export function reportPath(file: string, root = process.cwd()): string {
  if (file.startsWith('(')) return file;
  const rel = relative(resolve(root), resolve(file));
  // Another drive (Windows) has no relative path: the absolute one is the honest answer.
  return (isAbsolute(rel) ? file : rel).split(sep).join('/');
}
