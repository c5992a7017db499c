import { InvalidArgumentError, type Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundledSuite, parsePositiveInteger, parseReaderSpec, parseSeed, parseShard } from '../options.ts';
import { readDurations, selectShard, type ScenarioDurations, type Shard } from '../../shard.ts';
import { readKeysFile } from '../../env/scenario-keys.ts';
import type { ScenarioKeys } from '../../scenario.ts';

/** `--keys FILE`, read and checked before anything runs (a bad file is a usage error, exit 2). */
function parseKeysOption(file: string): ScenarioKeys {
  try {
    return readKeysFile(file);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

/** `--durations FILE`: an earlier run's results.json, read before anything runs (a bad file is a usage error, exit 2). */
function parseDurationsOption(file: string): ScenarioDurations {
  try {
    return readDurations(file);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

/**
 * `cardlab run [files or folders…]`: runs scenarios and reports; exit code 0 only when none failed. A
 * scenario this machine cannot run (e.g. `reader: vpcd` without pcscd) is reported skipped, with what to install.
 */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run scenario files (YAML/JSON) and report')
    .argument('[paths...]', 'scenario files or folders, relative to the working directory (default: the bundled suite)')
    .option('--reader <reader>', 'override every scenario\'s reader: sim, vpcd, pcsc[:NAME], replay:FILE', parseReaderSpec)
    .option('--workers <n>', 'scenarios run at once (each in its own process)', parsePositiveInteger, 1)
    .option('--seed <n>', 'override every scenario\'s seed', parseSeed)
    .option('--grep <pattern>', 'only scenarios whose name, file or tags match')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON report')
    .option('--trace-dir <dir>', 'write each scenario\'s APDU trace and timeline (annotated text and JSON lines)')
    .option('--html <file>', 'write the HTML report (summary, sequence diagrams, steps, trace viewer; one self-contained file)')
    .option('--mermaid <dir>', 'write a Mermaid sequenceDiagram per scenario (<scenario>.mmd)')
    .option('--bail', 'stop after the first failing scenario')
    .option('--shard <i/n>', 'run only part i of n of the scenario files (the same split on every machine)', parseShard)
    .option('--durations <results.json>', 'with --shard: balance the parts by the scenario durations of an earlier run\'s results.json', parseDurationsOption)
    .option('--keys <file>', 'the card\'s ISD keys, JSON { enc, mac, dek, kvn?, level? } (hex): override every scenario\'s keys; the simulated card is personalised with them', parseKeysOption)
    .action(async (paths: string[], o: { reader?: string; workers: number; seed?: number; grep?: string; junit?: string; json?: string; traceDir?: string; html?: string; mermaid?: string; bail?: boolean; keys?: ScenarioKeys; shard?: Shard; durations?: ScenarioDurations }) => {
      if (o.durations && !o.shard) throw new Error('--durations balances the parts of --shard i/n: give --shard too');
      const { runSuite } = await import('../../run-suite.ts');
      const { createConsoleReporter } = await import('../../reporters/console-reporter.ts');
      const { toJunitXml } = await import('../../reporters/junit-reporter.ts');
      const { toResultsJson } = await import('../../reporters/results-json.ts');
      const { createSuiteRunRecorder } = await import('../../reporters/suite-run.ts');
      const { writeTraceFiles } = await import('../../reporters/trace-files.ts');
      const workers = o.workers;
      if (paths.length === 0) paths = [bundledSuite()];
      const reporter = createConsoleReporter();
      const recorder = createSuiteRunRecorder();
      // Ctrl-C or SIGTERM: stop the workers, then write the partial reports (a second Ctrl-C exits at once).
      const interrupt = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.stderr.write(`\ncardlab run: ${signal}: stopping; the reports will list what ran\n`);
        interrupt.abort(new Error(signal));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let selected = 0;
      const results = await runSuite(paths, {
        signal: interrupt.signal,
        workers,
        reader: o.reader,
        seed: o.seed,
        ...(o.keys ? { keys: o.keys } : {}),
        grep: o.grep,
        bail: o.bail,
        select: (files) => {
          selected = files.length;
          if (!o.shard) return files;
          const part = selectShard(files, o.shard, o.durations);
          process.stdout.write(`shard ${o.shard.index}/${o.shard.count}: ${part.length} of ${files.length} scenario files\n`);
          return part;
        },
        onStart: (n) => reporter.started(n),
        onResult: (r) => {
          recorder.finished(r);
          reporter.finished(r);
        },
      });
      const run = recorder.finish();
      reporter.summary(results, run.finishedAt.getTime() - run.startedAt.getTime());
      const write = (file: string, text: string) => {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      };
      // Traces first: both reports point at them.
      const traces = o.traceDir ? writeTraceFiles(o.traceDir, results) : undefined;
      if (o.traceDir) {
        const { writeTimelineFiles } = await import('../../timeline/index.ts');
        const { traceFileBases } = await import('../../reporters/trace-files.ts');
        writeTimelineFiles(o.traceDir, results, traceFileBases(results));
      }
      if (o.junit) write(o.junit, toJunitXml(results, undefined, { ...run, traces }));
      if (o.json) write(o.json, toResultsJson(results, { ...run, traces }));
      if (o.html) {
        const { renderHtmlReport } = await import('../../reporters/html/index.ts');
        const { toResultsReport } = await import('../../reporters/results-json.ts');
        write(o.html, renderHtmlReport({ results: toResultsReport(results, { ...run, traces }), timelines: results.map((r) => r.timeline), seed: o.seed, reader: o.reader }));
        process.stdout.write(`HTML report: ${o.html}\n`);
      }
      if (o.mermaid) {
        const { writeMermaidFiles } = await import('../../reporters/mermaid.ts');
        const { traceFileBases } = await import('../../reporters/trace-files.ts');
        writeMermaidFiles(o.mermaid, results, traceFileBases(results));
      }
      // A shard may be empty (more shards than files); an empty selection is still a mistake.
      if (selected === 0) throw new Error(`no scenario files under ${paths.join(', ')}`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // 130 after an interruption (128 + SIGINT, the shell's convention), else 0 or 1.
      process.exitCode = interrupt.signal.aborted ? 130 : results.every((r) => r.status === 'passed' || r.status === 'skipped') ? 0 : 1;
    });
}
