import { describe, it, expect, afterEach } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { collectScenarioFiles } from '../../scenarios/run-suite.ts';
import { assignShards, comparePaths, expectedDurations, selectShard, shardKeys } from '../../scenarios/shard.ts';
import { parseShard } from '../../scenarios/cli/options.ts';
import { main } from '../../scenarios/cli/cardlab.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SUITE = join(ROOT, 'scenarios', 'suite');

/** Runs the CLI in this process: its exit code and what it wrote to standard error. */
async function cardlab(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    await main(['node', 'cardlab', ...args]);
    return { code: Number(process.exitCode ?? 0), err };
  } finally {
    process.stderr.write = write;
    process.exitCode = undefined;
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('shards of the bundled suite (the file list split, nothing run)', () => {
  const files = collectScenarioFiles([SUITE]);

  it('1/n … n/n together hold every bundled scenario file exactly once, for n = 1 to 5 and more shards than files', () => {
    expect(files.length).toBeGreaterThan(20);
    for (const n of [1, 2, 3, 4, 5, files.length + 2]) {
      const parts = Array.from({ length: n }, (_, i) => selectShard(files, { index: i + 1, count: n }));
      expect([...parts.flat()].sort()).toEqual([...files].sort());
      // Without durations the parts differ by one file at most.
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('a shard keeps the files in suite order', () => {
    const part = selectShard(files, { index: 2, count: 3 });
    expect(part).toEqual(files.filter((f) => part.includes(f)));
  });

  it('the split depends only on the paths inside the suite: the same from another checkout, another working directory, or given in another order', () => {
    const keys = shardKeys(files);
    expect(keys).toContain('card-locked.yaml');
    const elsewhere = keys.map((k) => `/home/runner/work/x/y/suite/${k}`);
    const fromCwd = files.map((f) => relative(process.cwd(), f));
    for (let i = 1; i <= 3; i++) {
      const here = selectShard(files, { index: i, count: 3 }).map((f) => relative(SUITE, f));
      expect(selectShard(elsewhere, { index: i, count: 3 }).map((f) => relative('/home/runner/work/x/y/suite', f))).toEqual(here);
      expect(selectShard(fromCwd, { index: i, count: 3 }).map((f) => relative(SUITE, resolve(f)))).toEqual(here);
      expect(selectShard([...files].reverse(), { index: i, count: 3 }).map((f) => relative(SUITE, f)).sort()).toEqual([...here].sort());
    }
  });

  it('--durations: the longest scenarios go to different shards, and the parts come out balanced', () => {
    // An earlier run's paths, relative to the folder it ran in (the repository root).
    const long = ['provision-over-vpcd.yaml', 'card-removed-during-load.yaml', 'network-error-at-install-request.yaml'];
    const durations = files.map((f) => ({ file: `scenarios/suite/${relative(SUITE, f)}`, durationMs: long.includes(relative(SUITE, f)) ? 5000 : 300 }));
    const parts = [1, 2, 3].map((i) => selectShard(files, { index: i, count: 3 }, durations).map((f) => relative(SUITE, f)));
    expect(parts.map((p) => p.filter((f) => long.includes(f)).length)).toEqual([1, 1, 1]);
    expect([...parts.flat()].sort()).toEqual(files.map((f) => relative(SUITE, f)).sort());
  });
});

describe('longest processing time first', () => {
  it('puts each file on the least loaded shard, longest first; equal weights in path order, lower shards first', () => {
    expect(assignShards(['a', 'b', 'c', 'd'], 2, [1, 1, 1, 1])).toEqual([0, 1, 0, 1]);
    expect(assignShards(['a', 'b', 'c', 'd', 'e'], 2, [7, 5, 4, 3, 1])).toEqual([0, 1, 1, 0, 1]);
    expect(assignShards(['b', 'a'], 3)).toEqual([1, 0]);
  });

  it('a file the earlier run lacks weighs its median; a path ending ambiguously too', () => {
    const earlier = [
      { file: 'scenarios/suite/a.yaml', durationMs: 100 },
      { file: 'scenarios/suite/b.yaml', durationMs: 300 },
      { file: 'x/c.yaml', durationMs: 1000 },
      { file: 'y/c.yaml', durationMs: 2000 },
    ];
    expect(expectedDurations(['a.yaml', 'b.yaml', 'c.yaml', 'new.yaml', 'suite/a.yaml'], earlier)).toEqual([100, 300, 650, 650, 100]);
  });

  it('orders paths folder by folder as the suite is walked (b/x.yaml before b.yaml), by code units, not locale', () => {
    const dir = tempDir('cardlab-shard-order-');
    for (const f of ['b/x.yaml', 'b.yaml', 'a.yaml', 'B.yaml', 'b-c.yaml', 'ä.yaml']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), 'name: x\nsteps: []\n');
    }
    const walked = collectScenarioFiles([dir]).map((f) => relative(dir, f).split('\\').join('/'));
    expect([...walked].sort(comparePaths)).toEqual(walked);
    expect(walked).toEqual(['B.yaml', 'a.yaml', 'b/x.yaml', 'b-c.yaml', 'b.yaml', 'ä.yaml']);
  });
});

describe('--shard and --durations on the command line', () => {
  it('parses i/n with 1 ≤ i ≤ n', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', 'abc', '1/3x', '-1/3', '1.5/3', '']) expect(() => parseShard(bad), bad).toThrow(InvalidArgumentError);
  });

  it('0/3, 4/3, 1/0 and abc are usage errors (exit 2) naming the option, before anything runs', async () => {
    for (const bad of ['0/3', '4/3', '1/0', 'abc']) {
      const r = await cardlab('run', SUITE, '--shard', bad);
      expect([bad, r.code]).toEqual([bad, 2]);
      expect(r.err).toMatch(/--shard <i\/n>.*invalid/);
    }
  });

  it('a missing or foreign --durations file, or --durations without --shard, is a usage error', async () => {
    const dir = tempDir('cardlab-durations-');
    writeFileSync(join(dir, 'other.json'), '{"name":"not results"}');
    expect((await cardlab('run', SUITE, '--shard', '1/3', '--durations', join(dir, 'none.json'))).code).toBe(2);
    const foreign = await cardlab('run', SUITE, '--shard', '1/3', '--durations', join(dir, 'other.json'));
    expect(foreign).toMatchObject({ code: 2, err: expect.stringContaining('not a cardlab results.json') });
    writeFileSync(join(dir, 'results.json'), '{"results":[]}');
    const alone = await cardlab('run', SUITE, '--durations', join(dir, 'results.json'));
    expect(alone).toMatchObject({ code: 2, err: expect.stringContaining('give --shard too') });
  });
});
