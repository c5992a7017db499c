/**
 * Compiles the benchmark entry points to plain JavaScript with `tsc`, so the figures are those of the
 * code as shipped: tsx (esbuild with keepNames) wraps every function and class in `__name(...)`, which
 * costs a fifth to a third of the APDU path and would be measured instead of the card.
 *
 * The output goes under `node_modules/.cache/cardlab-bench/` (ignored by git, and inside the repository
 * so the compiled modules still resolve `xstate`, `@noble/curves`… from `node_modules`). Incremental:
 * a rerun recompiles only what changed. Type errors do not stop the emit (a file another engineer is
 * editing may not type-check at that moment); they are counted, and the type check stays `npm test`'s job.
 */
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_BUILD_DIR = join(REPO_ROOT, 'node_modules/.cache/cardlab-bench');

/** Folders whose non-TypeScript files (JSON schemas, YAML) the compiled modules read at run time. */
const ASSET_ROOTS = ['protocol', 'simulator'];

export interface CompileResult {
  /** Where `<entry>.ts` of the repository now is `<entry>.js`. */
  outDir: string;
  /** Type errors found (the emit happened anyway). */
  errors: number;
  milliseconds: number;
}

/** Compiles `entries` (repository-relative `.ts` paths) and everything they import into BENCH_BUILD_DIR. */
export function compileForBench(entries: string[]): CompileResult {
  const start = performance.now();
  const configPath = join(REPO_ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT, undefined, configPath);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: false,
    noEmitOnError: false,
    rewriteRelativeImportExtensions: true,
    outDir: BENCH_BUILD_DIR,
    rootDir: REPO_ROOT,
    incremental: true,
    tsBuildInfoFile: join(BENCH_BUILD_DIR, '.tsbuildinfo'),
    sourceMap: false,
    declaration: false,
  };
  mkdirSync(BENCH_BUILD_DIR, { recursive: true });
  const program = ts.createIncrementalProgram({ rootNames: entries.map((e) => join(REPO_ROOT, e)), options });
  const emitted = program.emit();
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics(), ...emitted.diagnostics];
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  for (const root of ASSET_ROOTS) copyAssets(join(REPO_ROOT, root));
  return { outDir: BENCH_BUILD_DIR, errors, milliseconds: performance.now() - start };
}

/** Copies every file that is not TypeScript (schemas, YAML) beside its compiled twin. */
function copyAssets(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (!name.endsWith('.ts')) {
      const target = join(BENCH_BUILD_DIR, relative(REPO_ROOT, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
