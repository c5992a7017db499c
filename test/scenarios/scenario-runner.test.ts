import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runScenario } from '../../scenarios/run-scenario.ts';
import { loadScenario, parseScenario } from '../../scenarios/load-scenario.ts';
import { ScenarioError } from '../../scenarios/scenario-error.ts';
import { toJunitXml } from '../../scenarios/reporters/junit-reporter.ts';
import { toAnnotatedText } from '../../reader-bridge/index.ts';
import { tempDir } from '../support/temp-dir.ts';
import { junitXsdErrors } from '../support/junit-xsd.ts';
import { resultsSchemaErrors } from '../support/results-schema.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'scenarios');
const SUITE = join(import.meta.dirname, '..', '..', 'scenarios', 'suite');
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cardlab.js');
const ROOT = join(import.meta.dirname, '..', '..');

function loadError(file: string): ScenarioError {
  try {
    loadScenario(join(FIXTURES, file));
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('scenario files: validation names file, line and path', () => {
  it('a 3-digit status word: steps[1].expect.sw at its line, saying what a status word is', () => {
    const e = loadError('malformed-sw.yaml');
    expect(e.path).toBe('steps[1].expect.sw');
    expect(e.line).toBe(6);
    expect(e.message).toContain('malformed-sw.yaml:6');
    expect(e.message).toMatch(/4 hex digits/);
  });

  it('a step of no known kind lists the kinds', () => {
    const e = loadError('unknown-step.yaml');
    expect(e.path).toBe('steps[1]');
    expect(e.line).toBe(4);
    expect(e.reason).toMatch(/exactly one of: apdu, authenticate/);
    expect(e.reason).toContain('sendApdu');
  });

  it('broken YAML names its line', () => {
    const e = loadError('bad-yaml.yaml');
    expect(e.line).toBe(4);
    expect(e.reason).toMatch(/not valid YAML/);
  });

  it('an unknown field is named', () => {
    expect(() => parseScenario('name: x\nsteps:\n  - apdu: "00A4040000"\n    expectt: { sw: "9000" }\n', 'inline.yaml')).toThrow(/inline\.yaml:3: steps\[0\]: unknown field 'expectt'/);
  });

  it('refuses unquoted hex that YAML reads as a number (80CA004200 is a string, 0012 is 12), naming the quoted form', () => {
    expect(() => parseScenario('name: x\nsteps:\n  - apdu: 80CA004200\n  - apdu: 0012\n', 'inline.yaml')).toThrow('inline.yaml:4: steps[1].apdu: 0012 is read by YAML as a number (12); write it quoted: "0012"');
    const s = parseScenario('name: x\nsteps:\n  - apdu: "80CA004200"\n  - apdu: "0012"\n    expect: { sw: "9000" }\n', 'inline.yaml');
    expect(s.steps[1]!.apdu).toBe('0012');
    expect(s.steps[1]!.expect!.sw).toBe('9000');
  });

  it('a malformed file is a result with status error, not an exception', async () => {
    const r = await runScenario(join(FIXTURES, 'malformed-sw.yaml'));
    expect(r.status).toBe('error');
    expect(r.failure!.message).toContain('steps[1].expect.sw');
  });
});

describe('scenario runner', () => {
  it('a failing step says which step, what was sent, what came back with its meaning, and what was expected', async () => {
    const r = await runScenario(join(FIXTURES, 'broken-expectation.yaml'));
    expect(r.status).toBe('failed');
    expect(r.failure!.message).toBe(
      'step 2 (ask for a tag the card does not have, line 6): apdu: sent 80 CA 00 EE 00, got 6A88 (referenced data not found); expected 9000 (success)',
    );
    expect(r.failure!.context!.notes!.join('\n')).toContain('GET DATA');
    expect(r.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'not-run']);
  });

  it('reproduces byte-identical card-side traces for the same seed, and other ones for another seed', async () => {
    const file = join(SUITE, 'card-two-applets.yaml');
    const a = await runScenario(file);
    const b = await runScenario(file);
    const strip = (t: typeof a.trace) => t.map((e) => `${e.dir}${e.hex}`).join('\n');
    expect(strip(a.trace)).toBe(strip(b.trace));
    const c = await runScenario(file, { seed: 99 });
    expect(strip(c.trace)).not.toBe(strip(a.trace));
  });

  it('writes the trace in the golden-transcript format', async () => {
    const r = await runScenario(join(FIXTURES, 'broken-expectation.yaml'));
    const text = toAnnotatedText(r.trace);
    expect(text).toMatch(/@atr 3B 8C/);
    expect(text).toContain('>> 80 CA 00 EE 00\n# GET DATA');
    expect(text).toContain('<< 6A 88');
  });

  it('JUnit XML has one testcase per scenario and the failure with its APDU context', async () => {
    const results = [await runScenario(join(FIXTURES, 'broken-expectation.yaml')), await runScenario(join(SUITE, 'card-locked.yaml'))];
    const xml = toJunitXml(results);
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('received: 6A 88');
  });
});

describe('cardlab run (CLI)', () => {
  it('runs a folder with 2 workers, writes JUnit and results.json valid against their schemas, exits 1 on a failure', async () => {
    const dir = tempDir('cardlab-run-');
    const r = spawnSync(process.execPath, [BIN, 'run', FIXTURES, join(SUITE, 'card-locked.yaml'), '--workers', '2', '--junit', join(dir, 'out/junit.xml'), '--json', join(dir, 'out/results.json'), '--trace-dir', join(dir, 'out/traces')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/5 scenarios: 1 passed, 1 failed, 3 could not run/);
    const junit = readFileSync(join(dir, 'out/junit.xml'), 'utf8');
    expect(await junitXsdErrors(junit)).toEqual([]);
    expect(junit.match(/<testcase /g)).toHaveLength(5);
    expect(readdirSync(join(dir, 'out/traces')).filter((f) => f.endsWith('.trace.txt'))).toHaveLength(5);
    const results = JSON.parse(readFileSync(join(dir, 'out/results.json'), 'utf8')) as { summary: { total: number; durationMs: number }; results: { durationMs: number; traces: { text: string; jsonl: string } }[] };
    expect(resultsSchemaErrors(results)).toEqual([]);
    expect(results.summary).toMatchObject({ total: 5, passed: 1, failed: 4, errors: 3, skipped: 0 });
    // Paths in both reports are relative to the folder cardlab ran in.
    for (const s of results.results) {
      expect(s.traces.text).not.toMatch(/^\//);
      expect(readFileSync(join(ROOT, s.traces.text), 'utf8')).toMatch(/^# /);
      expect(readFileSync(join(ROOT, s.traces.jsonl), 'utf8')).toBeTypeOf('string');
    }
    expect(junit).toContain(`trace: ${results.results[0]!.traces.text}`);
  });
});

describe('skipped scenarios (a reader this machine lacks)', () => {
  const skipped = { file: 'over-vpcd.yaml', name: 'over vpcd', tags: [], seed: 0, status: 'skipped' as const, durationMs: 3, steps: [], trace: [], skipReason: 'reader vpcd: needs pcscd and vsmartcard-vpcd: apt-get install pcscd vsmartcard-vpcd' };
  const passed = { ...skipped, file: 'sim.yaml', name: 'on sim', status: 'passed' as const, skipReason: undefined };

  it('JUnit shows a skipped scenario as <skipped message=…> and counts it, not as a failure', () => {
    const xml = toJunitXml([skipped, passed]);
    expect(xml).toContain('<skipped message="reader vpcd: needs pcscd and vsmartcard-vpcd: apt-get install pcscd vsmartcard-vpcd"/>');
    expect(xml).toMatch(/<testsuite name="cardlab scenarios" tests="2" failures="0" errors="0" skipped="1"/);
  });

  it('the console prints SKIP with the reason and counts skipped scenarios in the summary', async () => {
    const { createConsoleReporter } = await import('../../scenarios/reporters/console-reporter.ts');
    let text = '';
    const reporter = createConsoleReporter({ write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream);
    reporter.started(2);
    reporter.finished(skipped);
    reporter.finished(passed);
    reporter.summary([skipped, passed], 1000);
    expect(text).toContain('SKIP over vpcd (3 ms)\n  reader vpcd: needs pcscd and vsmartcard-vpcd');
    expect(text).toContain('2 scenarios: 1 passed, 0 failed, 1 skipped (missing on this machine)');
  });
});
