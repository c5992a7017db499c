/**
 * Start-up time of the command line (`npm run bench:cli`): `cardlab --version` from the compiled dist/
 * on plain node (what an installed package runs) against the TypeScript sources through tsx (what
 * `node bin/cardlab.js` runs in this repository), with tsx's transform cache and without, and node's own
 * start-up as the floor. Figures, not
 * assertions. Builds dist/ first when it is missing; an existing dist/ is used as it is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/cardlab.js');
const DIST_ENTRY = join(ROOT, 'dist/scenarios/cli/cardlab.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

if (!existsSync(DIST_ENTRY)) {
  console.log('dist/ is missing: building it (npm run build)…');
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
} else {
  const minutes = (Date.now() - statSync(DIST_ENTRY).mtimeMs) / 60_000;
  console.log(`dist/ as built ${minutes.toFixed(0)} min ago (npm run build to refresh)`);
}

/** One start of the CLI; milliseconds until the process exited. */
function once(args: string[], env: NodeJS.ProcessEnv): { ms: number; status: number | null; stdout: string } {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { ms: performance.now() - start, status: r.status, stdout: r.stdout };
}

// --version where the CLI has it, --help otherwise.
const probe = once([BIN, '--version'], { CARDLAB_USE_DIST: '1' });
const flag = probe.status === 0 && /^\d+\.\d+\.\d+/.test(probe.stdout.trim()) ? '--version' : '--help';
if (flag === '--help') console.log('cardlab --version is not there yet: measuring cardlab --help instead');

const modes: Array<{ name: string; args: string[]; env: NodeJS.ProcessEnv }> = [
  { name: 'node, nothing loaded (floor)', args: ['-e', ''], env: {} },
  { name: `dist/ on plain node  (cardlab ${flag}, CARDLAB_USE_DIST=1)`, args: [BIN, flag], env: { CARDLAB_USE_DIST: '1' } },
  { name: `sources through tsx  (cardlab ${flag}, repository default)`, args: [BIN, flag], env: { CARDLAB_USE_DIST: '' } },
  // tsx keeps its transforms in a cache under the temp folder; the first start after an edit, a reboot or in CI pays this.
  { name: `sources through tsx, its cache off (TSX_DISABLE_CACHE=1)`, args: [BIN, flag], env: { CARDLAB_USE_DIST: '', TSX_DISABLE_CACHE: '1' } },
];
const times = modes.map(() => [] as number[]);
for (const m of modes) once(m.args, m.env); // warms the file cache (and tsx's own cache)
for (let run = 0; run < RUNS; run++) {
  // Interleaved, so a busy moment on the shared cores falls on every mode alike.
  for (const [i, m] of modes.entries()) {
    const r = once(m.args, m.env);
    if (r.status !== 0) throw new Error(`${m.name} exited with ${r.status}`);
    times[i]!.push(r.ms);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\ncardlab start-up, ${RUNS} runs each (median / min), node ${process.version}`);
for (const [i, m] of modes.entries()) {
  console.log(`  ${m.name.padEnd(62)} ${median(times[i]!).toFixed(0).padStart(6)} ms / ${Math.min(...times[i]!).toFixed(0).padStart(6)} ms`);
}
const [, dist, tsx, cold] = times.map(median);
console.log(`  tsx / dist: ${(tsx! / dist!).toFixed(1)}× (${(tsx! - dist!).toFixed(0)} ms per start); tsx without its cache / dist: ${(cold! / dist!).toFixed(1)}×`);
