import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runScenario, type ScenarioResult } from '../run-scenario.ts';
import { reportFixtureRun } from '../../test/support/report-fixture-run.ts';
import { junitXsdErrors } from '../../test/support/junit-xsd.ts';
import { junitClassname, junitTimestamp, toJunitXml } from './junit-reporter.ts';
import type { SuiteRun } from './suite-run.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'scenarios');
const SUITE = join(ROOT, 'scenarios', 'suite');

const base = { tags: [], seed: 3, durationMs: 1500, steps: [], trace: [] };
const skipped: ScenarioResult = { ...base, file: join(SUITE, 'over-vpcd.yaml'), name: 'over vpcd', status: 'skipped', skipReason: 'reader vpcd: needs pcscd and vsmartcard-vpcd: apt-get install pcscd vsmartcard-vpcd' };
const passed: ScenarioResult = { ...base, file: join(SUITE, 'on-sim.yaml'), name: 'on sim', status: 'passed' };
const run: SuiteRun = { startedAt: new Date('2026-11-30T06:12:41.250Z'), finishedAt: new Date('2026-11-30T06:12:43.750Z'), root: ROOT, hostname: 'ci-runner' };

/** The first element named `tag` with its attributes, as name → value. */
function attributes(xml: string, tag: string): Record<string, string> {
  const m = new RegExp(`<${tag} ([^>]*?)/?>`).exec(xml);
  if (!m) throw new Error(`no <${tag}>`);
  return Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
}

describe('JUnit report: valid against the common JUnit schema (test/fixtures/junit/junit.xsd)', () => {
  it('a run with a failed step, files that could not run, a skipped and a passed scenario validates', async () => {
    const { results, traces } = await reportFixtureRun(skipped);
    const xml = toJunitXml(results, undefined, { ...run, traces });
    expect(await junitXsdErrors(xml)).toEqual([]);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('received: 6A 88');
    expect(attributes(xml, 'testsuite')).toMatchObject({ tests: '5', failures: '1', errors: '2', skipped: '1' });
  });

  it('also validates with no run given (as `cardlab conform` calls it) and with no scenario at all', async () => {
    expect(await junitXsdErrors(toJunitXml([skipped, passed], 'cardlab conform'))).toEqual([]);
    expect(await junitXsdErrors(toJunitXml([]))).toEqual([]);
  });

  it('the schema refuses the old shape (skipped= on <testsuites>, no timestamp or hostname), so the check has teeth', async () => {
    const old = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="s" tests="1" failures="0" errors="0" skipped="0" time="0.100">\n<testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="0.100">\n  <testcase classname="/abs/x.yaml" name="x" time="0.100"></testcase>\n</testsuite>\n</testsuites>\n';
    const errors = (await junitXsdErrors(old)).join('\n');
    expect(errors).toMatch(/'testsuites', attribute 'skipped': The attribute 'skipped' is not allowed/);
    expect(errors).toMatch(/'timestamp' is required/);
    expect(errors).toMatch(/'hostname' is required/);
  });

  it('names, messages and reasons with quotes, markup, line breaks and control characters stay valid XML', async () => {
    const odd: ScenarioResult = { ...base, file: join(SUITE, 'odd.yaml'), name: `"quoted" <b> & 'single'\tand\nnewline \u0001`, status: 'failed', failure: { message: 'got <6A88> & "more"\r\nsecond line \u0007', context: { notes: [']]> not CDATA'] } } };
    const xml = toJunitXml([odd, { ...skipped, skipReason: 'needs "pcscd" & <vpcd>\n' }], undefined, run);
    expect(await junitXsdErrors(xml)).toEqual([]);
    expect(xml).toContain('name="&quot;quoted&quot; &lt;b&gt; &amp; &apos;single&apos;&#9;and&#10;newline "');
    expect(xml).not.toContain('\u0001');
  });
});

describe('JUnit report: what CI servers show', () => {
  it('the suite time is the wall-clock time of the run, not the sum of the scenarios', () => {
    const xml = toJunitXml([passed, { ...passed, name: 'other' }], undefined, run);
    expect(attributes(xml, 'testsuites').time).toBe('2.500');
    expect(attributes(xml, 'testsuite').time).toBe('2.500');
    expect(xml.match(/<testcase [^>]*time="1.500"/g)).toHaveLength(2);
  });

  it('the timestamp is the run start in UTC, to the second, without a zone (the schema pattern)', () => {
    expect(attributes(toJunitXml([passed], undefined, run), 'testsuite')).toMatchObject({ timestamp: '2026-11-30T06:12:41', hostname: 'ci-runner', id: '0', package: 'cardlab' });
    expect(junitTimestamp(new Date('2026-01-02T03:04:05.999Z'))).toBe('2026-01-02T03:04:05');
  });

  it('classname is the scenario file relative to the root as dotted path; file is the relative path itself', () => {
    const tc = attributes(toJunitXml([passed], undefined, run), 'testcase');
    expect(tc).toMatchObject({ name: 'on sim', classname: 'scenarios.suite.on-sim', file: 'scenarios/suite/on-sim.yaml', time: '1.500' });
    expect(junitClassname('/elsewhere/x.yml', '/work/repo')).toBe('elsewhere.x');
    expect(junitClassname('(inline)')).toBe('(inline)');
  });

  it('a file that could not be loaded is named by its relative path, not the absolute one', async () => {
    const r = await runScenario(join(FIXTURES, 'bad-yaml.yaml'));
    expect(attributes(toJunitXml([r], undefined, run), 'testcase').name).toBe('test/fixtures/scenarios/bad-yaml.yaml');
  });

  it('<system-out> names the seed and the trace files relative to the root', () => {
    const xml = toJunitXml([passed], undefined, { ...run, traces: [{ text: join(ROOT, 'reports/traces/on-sim.trace.txt'), jsonl: join(ROOT, 'reports/traces/on-sim.trace.jsonl') }] });
    expect(xml).toContain('<system-out>seed: 3\ntrace: reports/traces/on-sim.trace.txt\ntrace (JSON lines): reports/traces/on-sim.trace.jsonl</system-out>');
  });

  it('a skipped scenario carries its reason and counts as skipped, not as a failure', () => {
    const xml = toJunitXml([skipped, passed], undefined, run);
    expect(xml).toContain('<skipped message="reader vpcd: needs pcscd and vsmartcard-vpcd: apt-get install pcscd vsmartcard-vpcd"/>');
    expect(attributes(xml, 'testsuite')).toMatchObject({ tests: '2', failures: '0', errors: '0', skipped: '1' });
    expect(attributes(xml, 'testsuites')).not.toHaveProperty('skipped');
  });
});
