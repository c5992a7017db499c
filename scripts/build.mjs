#!/usr/bin/env node
// Builds the package: TypeScript → dist/ (JavaScript + .d.ts, tsconfig.build.json), then copies the
// files the compiled modules read at run time (by `new URL('./…', import.meta.url)`, createRequire,
// or a folder they list) to the same place beside them, so dist/ runs on plain node.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(ROOT, 'dist');
// Built beside it and swapped in at the end, so a CLI or a test using dist/ meanwhile never sees half a build.
const STAGING = join(ROOT, `.dist-build-${process.pid}`);

/** Run-time assets, as paths relative to the repository root (posix separators). */
const ASSETS = [
  /^protocol\/seram\/(gpseram\.yaml|LICENSE)$/, // seram-schema.ts
  /^servers\/[^/]+\/store\/migrations\/[^/]+\.sql$/, // sqlite-*-store.ts read the folder
  /^reader-bridge\/vpcd\/[^/]+\.(sh|mjs)$/, // private-pcscd.ts spawns both
  /^scenarios\/scenario\.schema\.json$/, // load-scenario.ts
  /^simulator\/profile\/card-profile\.schema\.json$/, // card-profile.ts
  /^scenarios\/suite\/[^/]+\.(yaml|yml|json)$/, // the bundled scenarios
];
const SOURCE_FOLDERS = ['protocol', 'simulator', 'reader-bridge', 'terminal', 'servers', 'scenarios'];

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', STAGING], { stdio: 'inherit', cwd: ROOT });
} catch {
  rmSync(STAGING, { recursive: true, force: true });
  process.stderr.write('build: tsc reported errors (above); dist/ left as it was\n');
  process.exit(1);
}

let copied = 0;
for (const folder of SOURCE_FOLDERS) {
  for (const file of files(join(ROOT, folder))) {
    const rel = relative(ROOT, file).split(sep).join('/');
    if (!ASSETS.some((re) => re.test(rel))) continue;
    const to = join(STAGING, rel);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to); // keeps the mode: the .sh stays executable
    copied++;
  }
}
const old = `${STAGING}-old`;
try {
  renameSync(DIST, old);
} catch {
  // no dist/ yet
}
renameSync(STAGING, DIST);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`dist/ built, ${copied} run-time assets copied\n`);
