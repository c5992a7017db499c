import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from '../../scenarios/run-scenario.ts';
import { toMermaidSequence } from '../../scenarios/reporters/mermaid.ts';
import { tempDir } from '../support/temp-dir.ts';
import { fixtureReport, REPORT_FIXTURES } from './report-fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'cardlab.js');

describe('the HTML report of a run with a failing and a faulted scenario', () => {
  let html: string;
  let results: ScenarioResult[];
  beforeAll(async () => {
    ({ html, results } = await fixtureReport());
  });

  it('is one self-contained page: nothing fetched, no external reference', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<link\b|\bsrc=|@import|url\((?!#)/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).toContain("default-src 'none'");
  });

  it('sums the run up: passed, failed, skipped, duration, reader', () => {
    expect(html).toMatch(/<b>2<\/b> scenarios.*<b>1<\/b> passed.*<b>1<\/b> failed.*<b>0<\/b> skipped/s);
    expect(html).toContain('reader sim');
  });

  it('opens the failing step with sent, received, expected and the status word meaning', () => {
    const failing = /<li class="step failed" data-step="1"><details open>(.*?)<\/li>/s.exec(html)?.[1] ?? '';
    expect(failing).toContain('80 CA 00 EE 00');
    expect(failing).toMatch(/<th>received<\/th><td><code>6A 88<\/code>/);
    expect(failing).toMatch(/<th>expected<\/th><td>9000 \(success\)/);
    expect(failing).toContain('6A88 REFERENCED_DATA_NOT_FOUND: referenced data not found');
  });

  it('draws one lane per party and the S-steps in order, the fault marked', () => {
    const faulted = html.slice(html.indexOf('id="s1"'));
    expect([...faulted.matchAll(/data-lane="(\w+)"/g)].map((m) => m[1]).slice(0, 4)).toEqual(['card', 'terminal', 'issuer', 'provider']);
    const markers = [...faulted.matchAll(/data-s-marker="(S\d+)"/g)].map((m) => m[1]);
    expect(markers).toEqual(Array.from({ length: 16 }, (_, i) => `S${i + 1}`));
    expect(faulted).toMatch(/data-fault=""><title>fault: error on issuer \^\/cards\/collate\$<\/title>/);
    expect(results[1]!.status).toBe('passed');
  });

  it('stays small: long values shortened, repeated annotations held once', () => {
    // The bundled suite's report (33 scenarios) is about 1.7 MB; the budget is 2 MB.
    expect(Buffer.byteLength(html)).toBeLessThan(120_000);
    expect(html.match(/data-n="0"/g)!.length).toBeGreaterThan(1);
  });

  it('Mermaid: a sequenceDiagram with the four participants, messages and S-markers', () => {
    const text = toMermaidSequence(results[1]!.name, results[1]!.timeline!);
    expect(text.split('\n').slice(0, 6)).toEqual([
      'sequenceDiagram',
      `  title ${results[1]!.name}`,
      '  participant card as Card',
      '  participant terminal as Terminal',
      '  participant issuer as Issuer',
      '  participant provider as Provider',
    ]);
    expect(text).toContain('  terminal->>issuer: POST /cards/collate (fault: error on issuer ^/cards/collate$)');
    expect(text).toContain('  Note over terminal: S16 start the service');
    expect(text).not.toMatch(/[;#]/);
  });
});

describe('cardlab run --html/--mermaid and cardlab report', () => {
  it('writes the same report from a run and from its results.json with the timelines beside the traces', () => {
    const dir = tempDir('cardlab-report-');
    const run = spawnSync(process.execPath, [BIN, 'run', REPORT_FIXTURES, '--json', join(dir, 'results.json'), '--trace-dir', join(dir, 'traces'), '--html', join(dir, 'run.html'), '--mermaid', join(dir, 'mmd')], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain(`HTML report: ${join(dir, 'run.html')}`);
    expect(readdirSync(join(dir, 'traces')).filter((f) => f.includes('.timeline.')).sort()).toEqual([
      'a-get-data-the-card-cannot-answer.timeline.jsonl',
      'a-get-data-the-card-cannot-answer.timeline.txt',
      'a-network-error-at-collation-is-retried-and-the-service-installs.timeline.jsonl',
      'a-network-error-at-collation-is-retried-and-the-service-installs.timeline.txt',
    ]);
    expect(readdirSync(join(dir, 'mmd')).length).toBe(2);
    const report = spawnSync(process.execPath, [BIN, 'report', join(dir, 'results.json'), '-o', join(dir, 'report.html')], { cwd: ROOT, encoding: 'utf8' });
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toBe(`HTML report: ${join(dir, 'report.html')}\n`);
    const fromJson = readFileSync(join(dir, 'report.html'), 'utf8');
    expect([...fromJson.matchAll(/data-s-marker="(S\d+)"/g)].length).toBe(16);
    expect(fromJson).toContain('6A88 REFERENCED_DATA_NOT_FOUND');
    const missing = spawnSync(process.execPath, [BIN, 'report', join(dir, 'nope.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(existsSync(join(dir, 'nope.json'))).toBe(false);
  });
});
