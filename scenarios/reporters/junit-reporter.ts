import type { ScenarioResult } from '../run-scenario.ts';
import { assumedRun, reportPath, scenarioLabel, summarize, type SuiteRun } from './suite-run.ts';

const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text content: markup escaped, characters XML 1.0 cannot carry dropped. */
function text(s: string): string {
  return s.replace(INVALID_XML_CHARS, '').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

/** An attribute value: as text, quotes escaped too, and line breaks and tabs kept as references (a parser would turn them into spaces). */
function attr(s: string): string {
  return text(s).replace(/["'\t\n\r]/g, (c) => ({ '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!);
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/**
 * The form of `timestamp` the common JUnit schemas accept: ISO 8601 date and time to the second with no
 * zone designator (`2026-11-30T06:12:41`). cardlab writes UTC.
 */
export function junitTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19);
}

/**
 * A scenario file as a JUnit class name: its path relative to the report's root, without the extension,
 * folders joined by dots (`scenarios/suite/card-locked.yaml` → `scenarios.suite.card-locked`), since
 * Jenkins splits a class name at its last dot into package and class. Leading `..` segments are dropped.
 */
export function junitClassname(file: string, root?: string): string {
  const parts = reportPath(file, root).replace(/\.(ya?ml|json)$/i, '').split('/');
  const named = parts.filter((p) => p !== '..' && p !== '.' && p !== '');
  return named.join('.') || file;
}

function testcase(r: ScenarioResult, index: number, run: SuiteRun): string {
  const file = reportPath(r.file, run.root);
  const head = `    <testcase name="${attr(scenarioLabel(r, run.root))}" classname="${attr(junitClassname(r.file, run.root))}" file="${attr(file)}" time="${seconds(r.durationMs)}">`;
  const body: string[] = [];
  if (r.status === 'skipped') body.push(`      <skipped message="${attr(r.skipReason ?? 'skipped')}"/>`);
  if (r.status === 'failed' || r.status === 'error') {
    const f = r.failure;
    const ctx = f?.context;
    const detail = [f?.message ?? r.status, ctx?.command ? `sent:     ${ctx.command}` : '', ctx?.response ? `received: ${ctx.response}` : '', ...(ctx?.notes ?? []).map((n) => `# ${n}`)].filter(Boolean).join('\n');
    const tag = r.status === 'error' ? 'error' : 'failure';
    const step = f?.step === undefined ? undefined : r.steps.find((s) => s.index === f.step);
    body.push(`      <${tag} message="${attr(f?.message ?? r.status)}" type="${attr(step ? `${step.kind} step` : r.status)}">${text(detail)}</${tag}>`);
  }
  // Where to look next: the seed that reproduces the run, and the trace files, relative like `file`.
  const traces = run.traces?.[index];
  const out = [`seed: ${r.seed}`, ...(traces ? [`trace: ${reportPath(traces.text, run.root)}`, `trace (JSON lines): ${reportPath(traces.jsonl, run.root)}`] : [])];
  body.push(`      <system-out>${text(out.join('\n'))}</system-out>`);
  return [head, ...body, '    </testcase>'].join('\n');
}

/**
 * JUnit XML as Jenkins and GitLab read it: one `<testsuite>` in `<testsuites>`, one `<testcase>` per
 * scenario (name = scenario name, classname = its file as a dotted relative path, `file` = the relative
 * path itself, which GitLab shows). A failure carries the first failing step and its APDU context (sent,
 * received, annotations); a scenario that could not run is an `<error>`; one this machine lacks the means
 * for carries `<skipped message="why, and what to install"/>`. `<system-out>` names the seed and the trace
 * files. The suite's `time` is the run's wall-clock time and `timestamp` its start (UTC, no zone: see
 * {@link junitTimestamp}); without `run`, the run is taken to end now and last the sum of the scenarios.
 * The shape is checked against `test/fixtures/junit/junit.xsd`.
 */
export function toJunitXml(results: ScenarioResult[], suiteName = 'cardlab scenarios', run?: Partial<SuiteRun>): string {
  const r = assumedRun(results, run);
  const s = summarize(results, r);
  const failures = s.failed - s.errors;
  const time = seconds(s.durationMs);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(suiteName)}" tests="${s.total}" failures="${failures}" errors="${s.errors}" time="${time}">`,
    `  <testsuite name="${attr(suiteName)}" tests="${s.total}" failures="${failures}" errors="${s.errors}" skipped="${s.skipped}" time="${time}" timestamp="${junitTimestamp(r.startedAt)}" hostname="${attr(r.hostname)}" id="0" package="cardlab">`,
    ...results.map((result, i) => testcase(result, i, r)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
