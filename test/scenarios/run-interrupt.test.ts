import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { collectScenarioFiles } from '../../scenarios/run-suite.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SUITE = join(ROOT, 'scenarios', 'suite');

describe('cardlab run: Ctrl-C with workers (a real process group, a real SIGINT)', () => {
  it('stops the workers without a stack trace, writes the partial JUnit and JSON with the interrupted and not-run scenarios marked, exits 130', async () => {
    const dir = tempDir('cardlab-interrupt-');
    const junit = join(dir, 'junit.xml');
    const json = join(dir, 'results.json');
    // detached: its own process group, so the SIGINT below reaches cardlab and its workers as a terminal's Ctrl-C does.
    const child = spawn(process.execPath, [join(ROOT, 'bin/cardlab.js'), 'run', SUITE, '--workers', '2', '--junit', junit, '--json', json], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await new Promise<void>((started, failed) => {
      const timer = setTimeout(() => failed(new Error(`no scenario finished within 60 s: ${out}${err}`)), 60_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (/\b(PASS|FAIL|SKIP)\b/.test(out)) {
          clearTimeout(timer);
          started();
        }
      });
    });
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    expect(err).not.toMatch(/ERR_IPC_CHANNEL_CLOSED|\n\s+at /);
    expect(err).toContain('SIGINT');
    expect(existsSync(junit) && existsSync(json)).toBe(true);
    const results = JSON.parse(readFileSync(json, 'utf8')) as { results: Array<{ status: string; skipReason?: string; failure?: { message: string } }> };
    const total = collectScenarioFiles([SUITE]).length;
    expect(results.results).toHaveLength(total);
    const notRun = results.results.filter((r) => r.skipReason?.startsWith('not run: the run was interrupted (SIGINT)'));
    const finished = results.results.filter((r) => r.status === 'passed');
    expect(finished.length).toBeGreaterThan(0);
    expect(notRun.length).toBeGreaterThan(0);
    expect(readFileSync(junit, 'utf8')).toContain('not run: the run was interrupted (SIGINT)');
  }, 120_000);
});
