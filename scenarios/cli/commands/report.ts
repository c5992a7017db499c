import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `cardlab report [results.json] -o report.html`: the HTML report of a finished run from its results.json
 * and the timelines `--trace-dir` wrote beside the traces (one self-contained file: summary, per scenario
 * steps, sequence diagram and trace viewer). Prints the path written. Exit 2 when the results file is missing.
 */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the HTML report of a run from its results.json (and the timelines of --trace-dir)')
    .argument('[results]', 'the results.json of cardlab run --json', 'reports/results.json')
    .option('-o, --output <file>', 'the HTML file to write', 'reports/report.html')
    .action(async (file: string, o: { output: string }) => {
      if (!existsSync(file)) throw new Error(`no such results file: ${file} (write one with cardlab run --json ${file})`);
      const { loadResultsWithTimelines, renderHtmlReport } = await import('../../reporters/html/index.ts');
      const html = renderHtmlReport(loadResultsWithTimelines(file));
      mkdirSync(dirname(o.output), { recursive: true });
      writeFileSync(o.output, html);
      process.stdout.write(`HTML report: ${o.output}\n`);
    });
}
