import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runSuite } from '../../run-suite.ts';
import { createConsoleReporter } from '../../reporters/console-reporter.ts';
import { toJunitXml } from '../../reporters/junit-reporter.ts';
import { writeTraceFiles } from '../../reporters/trace-files.ts';

/**
 * `cardlab run [files or folders…]`: runs scenarios and reports; exit code 0 only when none failed. A
 * scenario this machine cannot run (e.g. `reader: vpcd` without pcscd) is reported skipped, with what to install.
 */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run scenario files (YAML/JSON) and report')
    .argument('[paths...]', 'scenario files or folders', ['scenarios/suite'])
    .option('--reader <reader>', 'override every scenario\'s reader: sim, vpcd, pcsc[:NAME], replay:FILE')
    .option('--workers <n>', 'scenarios run at once (each in its own process)', '1')
    .option('--seed <n>', 'override every scenario\'s seed')
    .option('--grep <pattern>', 'only scenarios whose name, file or tags match')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON report')
    .option('--trace-dir <dir>', 'write each scenario\'s APDU trace (annotated text and JSON lines)')
    .option('--bail', 'stop after the first failing scenario')
    .action(async (paths: string[], o: { reader?: string; workers: string; seed?: string; grep?: string; junit?: string; json?: string; traceDir?: string; bail?: boolean }) => {
      const workers = Number(o.workers);
      if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a positive integer, got '${o.workers}'`);
      if (o.seed !== undefined && !/^\d+$/.test(o.seed)) throw new Error(`--seed must be a non-negative integer, got '${o.seed}'`);
      const reporter = createConsoleReporter();
      const t0 = Date.now();
      const results = await runSuite(paths, {
        workers,
        reader: o.reader,
        seed: o.seed === undefined ? undefined : Number(o.seed),
        grep: o.grep,
        bail: o.bail,
        onStart: (n) => reporter.started(n),
        onResult: (r) => reporter.finished(r),
      });
      reporter.summary(results, Date.now() - t0);
      const write = (file: string, text: string) => {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      };
      if (o.junit) write(o.junit, toJunitXml(results));
      if (o.json) write(o.json, `${JSON.stringify({ results: results.map(({ trace: _t, ...r }) => r) }, null, 2)}\n`);
      if (o.traceDir) writeTraceFiles(o.traceDir, results);
      if (results.length === 0) throw new Error(`no scenario files under ${paths.join(', ')}`);
      process.exitCode = results.every((r) => r.status === 'passed' || r.status === 'skipped') ? 0 : 1;
    });
}
