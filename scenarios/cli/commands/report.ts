import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `cardlab report [results.json] -o report.html`: the HTML report of a finished run from its results.json
 * and the timelines `--trace-dir` wrote beside the traces (one self-contained file: summary, per scenario
 * steps, sequence diagram and trace viewer). Prints the path written. Exit 2 when the results file is missing.
 *
 * `cardlab report merge A.json B.json … [--json F] [--junit F] [--html F] [--trace-dir D]`: one report of a
 * run split with `cardlab run --shard i/n`, from the results.json of its parts (see registerReportMerge).
 */
export function registerReport(program: Command): void {
  const report = program
    .command('report')
    .description('write the HTML report of a run from its results.json (and the timelines of --trace-dir); report merge: one report of a sharded run')
    .argument('[results]', 'the results.json of cardlab run --json', 'reports/results.json')
    .option('-o, --output <file>', 'the HTML file to write', 'reports/report.html')
    // `report merge … -o x` is then an unknown option of merge, not report's -o taken in passing.
    .enablePositionalOptions()
    .action(async (file: string, o: { output: string }) => {
      if (!existsSync(file)) throw new Error(`no such results file: ${file} (write one with cardlab run --json ${file})`);
      const { loadResultsWithTimelines, renderHtmlReport } = await import('../../reporters/html/index.ts');
      const html = renderHtmlReport(loadResultsWithTimelines(file));
      mkdirSync(dirname(o.output), { recursive: true });
      writeFileSync(o.output, html);
      process.stdout.write(`HTML report: ${o.output}\n`);
    });
  registerReportMerge(report);
}

/**
 * `cardlab report merge`: the results.json of every shard in, the reports of the whole run out (results.json
 * with the summary recomputed, JUnit, HTML; traces copied with --trace-dir). Exit 0 when every scenario
 * passed or was skipped, 1 when one failed, 2 for a missing or foreign results file or overlapping shards.
 */
function registerReportMerge(report: Command): void {
  report
    .command('merge')
    .description('merge the results.json of the shards of a run (cardlab run --shard i/n --json) into one report')
    .argument('<results...>', 'the results.json of each shard (their trace files are looked for beside them)')
    .option('--json <file>', 'write the merged results.json')
    .option('--junit <file>', 'write the merged JUnit XML report')
    .option('--html <file>', 'write the merged HTML report')
    .option('--trace-dir <dir>', 'copy every shard\'s trace and timeline files here (else the reports point at them where they are)')
    .action(async (files: string[], o: { json?: string; junit?: string; html?: string; traceDir?: string }) => {
      if (!o.json && !o.junit && !o.html) throw new Error('report merge: name what to write: --json FILE, --junit FILE and/or --html FILE');
      const { writeMergedReports } = await import('../../reporters/merge-reports.ts');
      const { summary, warnings } = writeMergedReports(files, o);
      for (const w of warnings) process.stderr.write(`cardlab report merge: ${w}\n`);
      process.stdout.write(`merged ${files.length} results files: ${summary.total} scenarios, ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
      for (const [what, file] of [['results', o.json], ['JUnit', o.junit], ['HTML report', o.html]] as const) if (file) process.stdout.write(`${what}: ${file}\n`);
      process.exitCode = summary.failed > 0 ? 1 : 0;
    });
}
