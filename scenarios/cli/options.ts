import { InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Option parsers shared by every cardlab command, so the same kind of value is checked the same way
 * everywhere; each throws commander's InvalidArgumentError, which the CLI answers with exit code 2.
 */

/** A seed: a non-negative decimal integer (the same number is the same card, the same run). */
export function parseSeed(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError(`a seed is a non-negative integer, got '${value}'.`);
  return Number(value);
}

/** A count of at least 1 (workers, repetitions). */
export function parsePositiveInteger(value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'.`);
  return Number(value);
}

/** `--shard i/n`: part i of n (1 ≤ i ≤ n), as `{ index, count }`. */
export function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError(`a shard is i/n with 1 ≤ i ≤ n (e.g. 2/3), got '${value}'.`);
  return { index, count };
}

/** A TCP port, 0..65535 (0 picks a free one). */
export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`a port is 0..65535 (0 picks a free one), got '${value}'.`);
  return Number(value);
}

/**
 * A reader spec, checked before anything runs: `sim`, `vpcd`, `pcsc`, `pcsc:NAME` or `replay:FILE` (FILE
 * relative to the working directory, resolved here, and it must exist).
 */
export function parseReaderSpec(value: string): string {
  if (value === 'sim' || value === 'vpcd' || value === 'pcsc') return value;
  if (value.startsWith('pcsc:') && value.length > 5) return value;
  if (value.startsWith('replay:') && value.length > 7) {
    const file = resolve(value.slice(7));
    if (!existsSync(file)) throw new InvalidArgumentError(`no trace file ${file} for ${value}.`);
    return `replay:${file}`;
  }
  throw new InvalidArgumentError(`unknown reader '${value}': use sim, vpcd, pcsc[:NAME] or replay:FILE.`);
}

/** The folder holding cardlab's package.json (the repository, or the installed package). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'cardlab') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cardlab: package.json not found above the CLI');
    dir = up;
  }
}

/** The scenario suite shipped with cardlab (what `cardlab run` runs when given no path), wherever cardlab is installed. */
export function bundledSuite(): string {
  const root = packageRoot();
  const candidates = [join(root, 'scenarios', 'suite'), join(root, 'dist', 'scenarios', 'suite')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

/** cardlab's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Exit codes of every command (shown by --help and in the README). */
export const EXIT_CODES_HELP = `
Exit codes:
  0  everything ran and passed
  1  a scenario, check or flow failed, or a scenario file is invalid
  2  usage error (unknown option, bad value, missing file or reader)
  130 interrupted (Ctrl-C or SIGTERM; run writes its partial reports first)`;
