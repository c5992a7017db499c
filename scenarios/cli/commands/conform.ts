import { CommanderError, type Command } from 'commander';

interface ConformCliOptions {
  reader: string;
  keys?: string;
  junit?: string;
  json?: string;
  traceDir?: string;
  seed: string;
  destructive?: boolean;
}

/**
 * `cardlab conform`: the conformance suite generated from the card statechart, one test case per path.
 * Exit code 0 when every path passed (or was skipped), 1 when one failed, 2 for a usage error.
 */
export function registerConform(program: Command): void {
  program
    .command('conform')
    .description('run the conformance suite generated from the card statechart (every state and transition)')
    .option('--reader <reader>', 'sim, vpcd, pcsc[:NAME] or replay:FILE', 'sim')
    .option('--keys <file>', 'ISD keys of a card that is not simulated: JSON {kvn, enc, mac, dek} in hex')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON report')
    .option('--trace-dir <dir>', "write each path's APDU trace (annotated text and JSON lines)")
    .option('--seed <n>', 'seed of every fresh card and of the host challenges', '0')
    .option('--destructive', 'on a real card, also run paths that lock or terminate it')
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(async (o: ConformCliOptions) => {
      // The suite (xstate, the card, the readers) loads only when the command runs: --help stays quick.
      const { createConsoleReporter } = await import('../../reporters/console-reporter.ts');
      const { runConformance, formatCoverage } = await import('../../conform/run-conform.ts');
      const { isReaderSpec } = await import('../../conform/conform-readers.ts');
      const { readHostKeys, writeConformJson, writeConformJunit, writeConformTraces } = await import('../../conform/conform-report.ts');
      if (!isReaderSpec(o.reader)) throw new Error(`unknown reader '${o.reader}': use sim, vpcd, pcsc[:NAME] or replay:FILE`);
      if (!/^\d+$/.test(o.seed)) throw new Error(`--seed must be a non-negative integer, got '${o.seed}'`);
      const keys = o.keys === undefined ? undefined : readHostKeys(o.keys);
      const reporter = createConsoleReporter(process.stdout, { noun: 'paths' });
      const report = await runConformance({
        reader: o.reader,
        seed: Number(o.seed),
        keys,
        destructive: o.destructive,
        onStart: (n) => reporter.started(n),
        onResult: (r) => reporter.finished(r),
      });
      if (report.skipReason) process.stdout.write(`skipped: ${report.skipReason}\n`);
      else reporter.summary(report.results, report.durationMs);
      process.stdout.write(`coverage: ${formatCoverage(report.coverage)}\n`);
      const missing = [...report.coverage.states.missing.map((s) => `state ${s}`), ...report.coverage.transitions.missing.map((t) => `transition ${t}`)];
      if (!report.skipReason && missing.length > 0) process.stdout.write(`not covered by a passing path:\n${missing.map((m) => `  ${m}\n`).join('')}`);
      if (o.junit) writeConformJunit(o.junit, report);
      if (o.json) writeConformJson(o.json, report);
      if (o.traceDir) writeConformTraces(o.traceDir, report);
      process.exitCode = report.results.every((r) => r.status === 'passed' || r.status === 'skipped') ? 0 : 1;
    });
}
