import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { junitXsdErrors } from '../support/junit-xsd.ts';
import { resultsSchemaErrors } from '../support/results-schema.ts';
import { tempDir } from '../support/temp-dir.ts';
import { mergeRuns } from '../../scenarios/reporters/merge-results.ts';
import { toResultsReport, type ResultsReport } from '../../scenarios/reporters/results-json.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CARDLAB = join(ROOT, 'bin', 'cardlab.js');

/** A small suite in two folders: four card scenarios that pass, one failing step, one malformed file. */
const FIXTURE: Record<string, string> = {
  'card/card-locked.yaml': 'scenarios/suite/card-locked.yaml',
  'card/card-secure-channel-refusals.yaml': 'scenarios/suite/card-secure-channel-refusals.yaml',
  'card/card-tear-during-credit.yaml': 'scenarios/suite/card-tear-during-credit.yaml',
  'card/card-two-applets.yaml': 'scenarios/suite/card-two-applets.yaml',
  'failing/broken-expectation.yaml': 'test/fixtures/scenarios/broken-expectation.yaml',
  'failing/malformed-sw.yaml': 'test/fixtures/scenarios/malformed-sw.yaml',
};

/** cardlab as a process of its own, in `cwd`: exit code and output. */
function cardlab(cwd: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CARDLAB, ...args], { cwd }, (error, out, err) => done({ code: error ? Number(error.code) : 0, out, err }));
  });
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as ResultsReport;
const verdicts = (r: ResultsReport) => r.results.map((s) => [s.file, s.status]);

describe('cardlab run --shard i/n and cardlab report merge (a small suite, real processes)', () => {
  it('three shards run every file once, the same from another working directory; --durations parts the longest; the merged reports equal an unsharded run', async () => {
    const dir = tempDir('cardlab-shards-');
    for (const [to, from] of Object.entries(FIXTURE)) {
      mkdirSync(join(dir, 'suite', to, '..'), { recursive: true });
      copyFileSync(join(ROOT, from), join(dir, 'suite', to));
    }
    // An earlier run in which two scenarios took far longest: they must land in different shards.
    const longest = ['suite/card/card-two-applets.yaml', 'suite/card/card-locked.yaml'];
    const durations = join(dir, 'earlier.json');
    writeFileSync(durations, JSON.stringify({ schemaVersion: 1, results: Object.keys(FIXTURE).map((f) => ({ file: `suite/${f}`, durationMs: longest.includes(`suite/${f}`) ? 9000 : 100 })) }));
    const reports = (out: string) => ['--json', `${out}/results.json`, '--junit', `${out}/junit.xml`, '--trace-dir', `${out}/traces`];
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const [full, s1, s2, s3, other, empty] = await Promise.all([
      cardlab(dir, 'run', 'suite', ...reports('full')),
      ...[1, 2, 3].map((i) => cardlab(dir, 'run', 'suite', '--shard', `${i}/3`, '--durations', 'earlier.json', ...reports(`out-${i}/reports`))),
      // The same shard from another folder, the suite named by another relative path.
      cardlab(elsewhere, 'run', '../suite/', '--shard', '2/3', '--durations', '../earlier.json', '--json', 'results.json'),
      // More shards than files: the last one is empty, which is not an error.
      cardlab(dir, 'run', 'suite', '--shard', '7/7', '--json', 'empty/results.json'),
    ]);
    expect([full!.code, s1!.code, s2!.code, s3!.code, other!.code, empty!.code]).toEqual([1, expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number), 0]);
    // Longest first: each long one alone, the four short ones together.
    expect([s1!.out, s2!.out, s3!.out].map((o) => /shard \d\/3: (\d) of 6/.exec(o)?.[1])).toEqual(['1', '1', '4']);
    expect(read(join(dir, 'empty/results.json')).results).toEqual([]);

    const parts = [1, 2, 3].map((i) => read(join(dir, `out-${i}/reports/results.json`)).results.map((s) => s.file));
    expect(parts.flat().sort()).toEqual(Object.keys(FIXTURE).map((f) => `suite/${f}`).sort());
    expect(parts.map((p) => p.filter((f) => longest.includes(f)).length).filter((n) => n > 0)).toEqual([1, 1]);
    expect(read(join(elsewhere, 'results.json')).results.map((s) => relative(dir, resolve(elsewhere, s.file)))).toEqual(parts[1]);

    // As a CI job gets them: each shard's reports/ downloaded as reports-<i>/.
    for (const i of [1, 2, 3]) renameSync(join(dir, `out-${i}/reports`), join(dir, `reports-${i}`));
    const merge = await cardlab(dir, 'report', 'merge', 'reports-1/results.json', 'reports-2/results.json', 'reports-3/results.json', '--json', 'merged/results.json', '--junit', 'merged/junit.xml', '--html', 'merged/report.html', '--trace-dir', 'merged/traces');
    expect(merge.err).toBe('');
    expect(merge.code).toBe(1);
    expect(merge.out).toContain('6 scenarios, 4 passed, 2 failed, 0 skipped');

    const merged = read(join(dir, 'merged/results.json'));
    const unsharded = read(join(dir, 'full/results.json'));
    expect(resultsSchemaErrors(merged)).toEqual([]);
    expect(verdicts(merged)).toEqual(verdicts(unsharded));
    expect(merged.summary).toEqual({ ...unsharded.summary, durationMs: merged.summary.durationMs });
    const shards = [1, 2, 3].map((i) => read(join(dir, `reports-${i}/results.json`)));
    expect(merged.startedAt).toBe(shards.map((s) => s.startedAt).sort()[0]);
    expect(merged.finishedAt).toBe(shards.map((s) => s.finishedAt).sort().at(-1));
    expect(merged.summary.durationMs).toBe(Date.parse(merged.finishedAt) - Date.parse(merged.startedAt));
    // The traces were copied beside the merged reports, and the reports point at the copies.
    for (const s of merged.results) {
      expect(s.traces?.text).toMatch(/^merged\/traces\/.+\.trace\.txt$/);
      // The same card-side trace as the unsharded run's, apart from timing.
      const untimed = (file: string) => readFileSync(file, 'utf8').replace(/^# @t .*$/gm, '');
      expect(untimed(join(dir, s.traces!.text))).toBe(untimed(join(dir, 'full', 'traces', s.traces!.text.slice('merged/traces/'.length))));
      // Its timeline too, where the scenario had one (a file that could not be loaded has none).
      const timeline = (traces: string) => existsSync(join(traces, s.traces!.jsonl.slice('merged/traces/'.length).replace(/\.trace\.jsonl$/, '.timeline.jsonl')));
      expect([s.file, timeline(join(dir, 'merged/traces'))]).toEqual([s.file, timeline(join(dir, 'full/traces'))]);
    }

    const junit = readFileSync(join(dir, 'merged/junit.xml'), 'utf8');
    expect(await junitXsdErrors(junit)).toEqual([]);
    const testcases = (xml: string) => [...xml.matchAll(/<testcase name="[^"]*" classname="[^"]*" file="([^"]*)"[^>]*>\n\s+<(\w+)/g)].map((m) => [m[1], m[2]]);
    expect(testcases(junit)).toEqual(testcases(readFileSync(join(dir, 'full/junit.xml'), 'utf8')));
    expect(junit).toContain('trace: merged/traces/');
    expect(readFileSync(join(dir, 'merged/report.html'), 'utf8')).toContain('deliberately wrong expectation');
    expect(readdirSync(join(dir, 'merged/traces')).filter((f) => f.endsWith('.timeline.jsonl')).length).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('refuses shards that overlap, a file that is not a results.json, and a merge that writes nothing (exit 2)', async () => {
    const dir = tempDir('cardlab-merge-');
    const one = { schemaVersion: 1, startedAt: '2026-11-30T06:00:00.000Z', finishedAt: '2026-11-30T06:00:01.000Z', hostname: 'a', summary: { total: 1, passed: 1, failed: 0, errors: 0, skipped: 0, durationMs: 1000 }, results: [{ file: 'suite/a.yaml', name: 'a', tags: [], seed: 1, status: 'passed', startedAt: '2026-11-30T06:00:00.000Z', finishedAt: '2026-11-30T06:00:01.000Z', durationMs: 1000, steps: [] }] };
    writeFileSync(join(dir, 'a.json'), JSON.stringify(one));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(one));
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ ...one, schemaVersion: 2 }));
    const [overlap, foreign, missing, nothing, dashO, alone] = await Promise.all([
      cardlab(dir, 'report', 'merge', 'a.json', 'b.json', '--json', 'm1.json'),
      cardlab(dir, 'report', 'merge', 'a.json', 'v2.json', '--json', 'm2.json'),
      cardlab(dir, 'report', 'merge', 'a.json', 'none.json', '--json', 'm3.json'),
      cardlab(dir, 'report', 'merge', 'a.json'),
      cardlab(dir, 'report', 'merge', 'a.json', '-o', 'x'),
      // One shard alone merges to itself.
      cardlab(dir, 'report', 'merge', 'a.json', '--json', 'm.json'),
    ]);
    expect(overlap).toMatchObject({ code: 2, err: expect.stringContaining('suite/a.yaml is in both a.json and b.json') });
    expect(foreign).toMatchObject({ code: 2, err: expect.stringContaining('v2.json has schemaVersion 2') });
    expect([missing.code, nothing.code, dashO.code]).toEqual([2, 2, 2]);
    expect(nothing.err).toContain('name what to write');
    expect(alone.code).toBe(0);
    expect(read(join(dir, 'm.json'))).toMatchObject({ startedAt: one.startedAt, finishedAt: one.finishedAt, hostname: 'a', summary: one.summary });
    // `cardlab report FILE -o` is unchanged beside `report merge`.
    const html = await cardlab(dir, 'report', 'm.json', '-o', 'report.html');
    expect(html).toMatchObject({ code: 0, out: 'HTML report: report.html\n' });
  }, 60_000);

  it('finds a shard\'s traces beside its results file after it moved, references them there without --trace-dir, and says which it could not find', () => {
    const dir = tempDir('cardlab-merge-traces-');
    const at = (t: string) => ({ file: `suite/${t}.yaml`, name: t, tags: [], seed: 1, status: 'passed', startedAt: '2026-11-30T06:00:00.000Z', finishedAt: '2026-11-30T06:00:01.000Z', durationMs: 1000, steps: [], traces: { text: `reports/traces/${t}.trace.txt`, jsonl: `reports/traces/${t}.trace.jsonl` } });
    const shard = { schemaVersion: 1, startedAt: '2026-11-30T06:00:00.000Z', finishedAt: '2026-11-30T06:00:01.000Z', hostname: 'runner-2', summary: { total: 2, passed: 2, failed: 0, errors: 0, skipped: 0, durationMs: 1000 }, results: [at('kept'), at('lost')] };
    mkdirSync(join(dir, 'reports-2', 'traces'), { recursive: true });
    writeFileSync(join(dir, 'reports-2', 'results.json'), JSON.stringify(shard));
    writeFileSync(join(dir, 'reports-2', 'traces', 'kept.trace.txt'), '>> 00A4040000\n');
    writeFileSync(join(dir, 'reports-2', 'traces', 'kept.trace.jsonl'), '');
    const merged = mergeRuns([join(dir, 'reports-2', 'results.json')]);
    const report = toResultsReport(merged.results, { ...merged.run, root: dir });
    expect(report.results.map((r) => r.traces)).toEqual([{ text: 'reports-2/traces/kept.trace.txt', jsonl: 'reports-2/traces/kept.trace.jsonl' }, undefined]);
    expect(merged.warnings).toEqual([expect.stringMatching(/^suite\/lost\.yaml: trace files reports\/traces\/lost\.trace\.txt and .* not found; left out$/)]);
    expect(resultsSchemaErrors(report)).toEqual([]);
  });
});
