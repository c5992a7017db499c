import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/cardlab.js');
const dir = mkdtempSync(join(tmpdir(), 'cardlab-conform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conform(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'conform', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cardlab conform (command line)', () => {
  it('--help lists the options and exits 0', () => {
    const r = conform('--help');
    expect(r.status).toBe(0);
    for (const o of ['--reader', '--keys', '--junit', '--json', '--trace-dir', '--seed', '--destructive']) expect(r.stdout).toContain(o);
  });

  it('exits 2 with the reason for an unknown reader, a bad seed, a bad keys file or an unknown option', () => {
    const reader = conform('--reader', 'floppy');
    expect(reader.status).toBe(2);
    expect(reader.stderr).toContain("unknown reader 'floppy': use sim, vpcd, pcsc[:NAME] or replay:FILE");
    const seed = conform('--seed', 'minus-one');
    expect(seed.status).toBe(2);
    expect(seed.stderr).toContain('--seed must be a non-negative integer');
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify({ kvn: '30', enc: '40414243', mac: '40414243', dek: '40414243' }));
    const badKeys = conform('--keys', keys);
    expect(badKeys.status).toBe(2);
    expect(badKeys.stderr).toContain('enc, mac and dek are AES keys of one length');
    const option = conform('--fast');
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("unknown option '--fast'");
  });

  it('runs on sim: prints the coverage, writes JUnit, JSON and traces (which --reader replay:FILE replays), exits 0', () => {
    const r = conform('--junit', join(dir, 'junit.xml'), '--json', join(dir, 'report.json'), '--trace-dir', join(dir, 'traces'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/coverage: states (\d+)\/\1, transitions (\d+)\/\2\n/);
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(json.results.length).toBeGreaterThan(20);
    expect(json.coverage.transitions.missing).toEqual([]);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite name="cardlab conform"');
    expect(existsSync(join(dir, 'traces', 'conform-run.trace.txt'))).toBe(true);
    // The whole run's trace replays: same seed, same host challenges, same verdicts.
    const replay = conform('--reader', `replay:${join(dir, 'traces', 'conform-run.trace.txt')}`);
    expect(replay.status, replay.stdout).toBe(0);
    expect(replay.stdout).toMatch(/(\d+) paths: \1 passed, 0 failed/);
  });
});
