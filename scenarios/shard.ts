import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

/** One part of a suite split for machines that run at once: `index` of `count`, from 1 (`--shard 2/3`). */
export interface Shard {
  index: number;
  count: number;
}

/** How long each scenario file took in an earlier run, by its path as that run's results.json wrote it. */
export type ScenarioDurations = ReadonlyArray<{ file: string; durationMs: number }>;

/**
 * Orders paths with `/` separators folder by folder, each name by UTF-16 code units (not the locale, which
 * differs between machines): the order `collectScenarioFiles` walks a tree in, so `b/x.yaml` before `b.yaml`.
 */
export function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * The name each scenario file is sharded by: its path relative to the deepest folder holding all of them,
 * with `/` separators. It depends on neither the working directory nor where the suite lies, so every
 * machine of a CI matrix computes the same split (`scenarios/suite` from the repository root and
 * `../repo/scenarios/suite` from elsewhere both give `card-locked.yaml`).
 */
export function shardKeys(files: readonly string[]): string[] {
  const absolute = files.map((f) => resolve(f));
  if (absolute.length === 0) return [];
  let root = dirname(absolute[0]!);
  while (!absolute.every((f) => f.startsWith(root.endsWith(sep) ? root : root + sep))) {
    const up = dirname(root);
    if (up === root) break;
    root = up;
  }
  return absolute.map((f) => relative(root, f).split(sep).join('/'));
}

/** The durations of a `cardlab run --json` results file (or a merged one), checked to be one. */
export function readDurations(file: string): ScenarioDurations {
  const report = JSON.parse(readFileSync(file, 'utf8')) as { results?: unknown };
  if (!Array.isArray(report.results)) throw new Error(`${file} is not a cardlab results.json (no "results" list)`);
  return report.results.flatMap((r: { file?: unknown; durationMs?: unknown }) =>
    typeof r.file === 'string' && typeof r.durationMs === 'number' ? [{ file: r.file, durationMs: r.durationMs }] : [],
  );
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 1;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The expected duration per key: the earlier run's entry whose path ends with the key (that run's paths are
 * relative to its own working directory, so only the end can match). A key no entry ends with, or more than
 * one does, gets the median of the earlier run, as an unknown scenario would.
 */
export function expectedDurations(keys: readonly string[], durations: ScenarioDurations): number[] {
  const fallback = median(durations.map((d) => d.durationMs));
  return keys.map((key) => {
    const found = durations.filter((d) => d.file === key || d.file.endsWith(`/${key}`));
    return found.length === 1 ? found[0]!.durationMs : fallback;
  });
}

/**
 * Assigns each key a shard (0-based), longest processing time first: keys by expected duration, longest
 * first (equal ones in path order), each to the shard with the least time so far (the lowest-numbered
 * among equals). Without durations every key weighs the same, which deals the sorted keys out in turn.
 */
export function assignShards(keys: readonly string[], count: number, weights?: readonly number[]): number[] {
  const order = keys.map((_, i) => i).sort((a, b) => (weights?.[b] ?? 1) - (weights?.[a] ?? 1) || comparePaths(keys[a]!, keys[b]!));
  const load = new Array<number>(count).fill(0);
  const shardOf = new Array<number>(keys.length);
  for (const i of order) {
    const least = load.indexOf(Math.min(...load));
    shardOf[i] = least;
    load[least]! += weights?.[i] ?? 1;
  }
  return shardOf;
}

/**
 * The files of one shard, in the order given: the same on every machine for the same set of files (see
 * {@link shardKeys}), every file in exactly one shard; balanced by an earlier run's durations when given.
 */
export function selectShard(files: readonly string[], shard: Shard, durations?: ScenarioDurations): string[] {
  const keys = shardKeys(files);
  const shardOf = assignShards(keys, shard.count, durations && expectedDurations(keys, durations));
  return files.filter((_, i) => shardOf[i] === shard.index - 1);
}
