/**
 * Benchmarks (figures, not assertions): `npm run bench`. Compiles the card-speed benchmark with `tsc`
 * (compile.ts: plain JavaScript, without the keepNames wrappers tsx adds) and runs it in a fresh Node
 * process with `--expose-gc`: APDU throughput of the simulated card beside a bare responder, card
 * creation time, heap per idle powered card. Targets: SELECT, GET DATA 9F7F, an applet command and a
 * refused command ≥ 3 M APDU/s; an SCP03 level-33 round trip ≥ 60 k/s; createCard ≤ 100 µs; ≤ 12 KB of
 * heap per idle powered card with 10,000 alive. Anchor: jCardSim answers a trivial applet at
 * 0.84–1.14 M APDU/s.
 *
 * `npm run bench -- --tsx` then runs the same benchmark under tsx as well, the way it used to be measured,
 * to show what the wrappers cost.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileForBench, REPO_ROOT } from './compile.ts';

const ENTRY = 'test/bench/card-speed';

const compiled = compileForBench([`${ENTRY}.ts`]);
const errors = compiled.errors === 0 ? '' : ` (${compiled.errors} type errors: emitted anyway; \`npm run typecheck\` lists them)`;
console.log(`compiled with tsc in ${(compiled.milliseconds / 1000).toFixed(1)} s${errors}`);
const run = spawnSync(process.execPath, ['--expose-gc', join(compiled.outDir, `${ENTRY}.js`)], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;

if (process.argv.includes('--tsx') && run.status === 0) {
  console.log('\nthe same benchmark under tsx (esbuild keepNames wrappers), for comparison:');
  const viaTsx = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(REPO_ROOT, `${ENTRY}.ts`)], { stdio: 'inherit', cwd: REPO_ROOT });
  process.exitCode = viaTsx.status ?? 1;
}
