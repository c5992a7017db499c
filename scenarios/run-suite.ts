import { fork } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from './load-scenario.ts';
import { ScenarioError } from './scenario-error.ts';
import { runScenario, type RunOptions, type ScenarioResult } from './run-scenario.ts';

export interface SuiteOptions extends Omit<RunOptions, 'environment'> {
  /** Scenarios run at once, each in its own worker process (1 = in this process). */
  workers?: number;
  /** Only scenarios whose name, file or tags match. */
  grep?: string;
  /**
   * Narrows the files to run after `grep` (e.g. to one shard, see `selectShard` in shard.ts); gets them in
   * file order and returns those to run.
   */
  select?: (files: string[]) => string[];
  /** Stop starting scenarios after the first failure. */
  bail?: boolean;
  onStart?: (total: number) => void;
  onResult?: (result: ScenarioResult) => void;
  /**
   * Interrupts the run (Ctrl-C, SIGTERM): no scenario starts any more, workers are stopped, a scenario that
   * was running is reported as an error "interrupted", and those never started as skipped "not run" — so the
   * reports written afterwards are complete and say what happened. In process (workers = 1) the running
   * scenario finishes first.
   */
  signal?: AbortSignal;
}

function interruptedResult(file: string, running: boolean, signal: AbortSignal): ScenarioResult {
  const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'interrupted');
  return running
    ? { file, name: file, tags: [], seed: 0, status: 'error', durationMs: 0, steps: [], trace: [], failure: { message: `interrupted (${why}) while it ran` } }
    : { file, name: file, tags: [], seed: 0, status: 'skipped', durationMs: 0, steps: [], trace: [], skipReason: `not run: the run was interrupted (${why})` };
}

const SCENARIO_FILE = /\.(ya?ml|json)$/;

/** Scenario files under the given files and folders (folders recursively, sorted; schema files skipped). */
export function collectScenarioFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.') || name === 'node_modules') continue;
        const child = join(p, name);
        if (statSync(child).isDirectory() || (SCENARIO_FILE.test(name) && !name.endsWith('.schema.json'))) walk(child);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

function matches(file: string, grep: string | undefined): boolean {
  if (!grep) return true;
  const re = new RegExp(grep, 'i');
  if (re.test(file)) return true;
  try {
    const s = loadScenario(file);
    return re.test(s.name) || (s.tags ?? []).some((t) => re.test(t));
  } catch (err) {
    if (err instanceof ScenarioError) return true; // let the run report the malformed file
    throw err;
  }
}

const WORKER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './suite-worker.ts' : './suite-worker.js', import.meta.url));

/** tsx's loader as an absolute URL: a bare `--import tsx` would resolve from the working directory, which may be any project. */
const TSX_LOADER = WORKER.endsWith('.ts') ? import.meta.resolve('tsx') : '';

async function runInWorkers(files: string[], opts: SuiteOptions, workers: number): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(files.length);
  let next = 0;
  let stop = false;
  const children = new Set<ReturnType<typeof fork>>();
  const onAbort = () => {
    stop = true;
    for (const c of children) c.kill('SIGTERM');
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const lane = async () => {
    if (opts.signal?.aborted) return;
    const child = fork(WORKER, [], { execArgv: WORKER.endsWith('.ts') ? ['--import', TSX_LOADER] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    // A worker killed on interruption closes the channel; that is not an error of the run.
    child.on('error', () => undefined);
    try {
      while (!stop && next < files.length) {
        const i = next++;
        const result = await new Promise<ScenarioResult>((resolveResult, reject) => {
          const onMessage = (m: ScenarioResult) => {
            child.off('exit', onExit);
            resolveResult(m);
          };
          const onExit = (code: number | null) => reject(new Error(`scenario worker exited (${code}) while running ${files[i]}`));
          child.once('message', onMessage);
          child.once('exit', onExit);
          child.send({ file: files[i], options: { seed: opts.seed, reader: opts.reader, keys: opts.keys } });
        }).catch((err: Error): ScenarioResult =>
          opts.signal?.aborted ? interruptedResult(files[i]!, true, opts.signal) : { file: files[i]!, name: files[i]!, tags: [], seed: 0, status: 'error', durationMs: 0, steps: [], trace: [], failure: { message: err.message } },
        );
        results[i] = result;
        opts.onResult?.(result);
        if (opts.bail && (result.status === 'failed' || result.status === 'error')) stop = true;
      }
    } finally {
      children.delete(child);
      child.kill();
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, files.length) }, lane));
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) notRun(files, results, opts);
  return results.filter(Boolean);
}

/** After an interruption: every scenario that never started, reported as not run. */
function notRun(files: string[], results: ScenarioResult[], opts: SuiteOptions): void {
  for (let i = 0; i < files.length; i++) {
    if (results[i]) continue;
    results[i] = interruptedResult(files[i]!, false, opts.signal!);
    opts.onResult?.(results[i]!);
  }
}

/** Runs every scenario under `paths`; results in file order. */
export async function runSuite(paths: string[], opts: SuiteOptions = {}): Promise<ScenarioResult[]> {
  const matching = collectScenarioFiles(paths.map((p) => resolve(p))).filter((f) => matches(f, opts.grep));
  const files = opts.select ? opts.select(matching) : matching;
  opts.onStart?.(files.length);
  const workers = Math.max(1, opts.workers ?? 1);
  if (workers > 1 && files.length > 1) return runInWorkers(files, opts, workers);
  const results: ScenarioResult[] = [];
  for (const file of files) {
    if (opts.signal?.aborted) break;
    const r = await runScenario(file, { seed: opts.seed, reader: opts.reader, keys: opts.keys });
    results.push(r);
    opts.onResult?.(r);
    if (opts.bail && (r.status === 'failed' || r.status === 'error')) break;
  }
  if (opts.signal?.aborted) notRun(files, results, opts);
  return results;
}
