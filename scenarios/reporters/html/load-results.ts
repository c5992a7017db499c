import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseTimelineJsonLines, type TimelineEntry } from '../../timeline/index.ts';
import type { ResultsReport } from '../results-json.ts';

/** Where a scenario's timeline lies: beside its JSON-lines trace (`<base>.trace.jsonl` → `<base>.timeline.jsonl`). */
function timelinePath(traceJsonl: string): string {
  return traceJsonl.replace(/\.trace\.jsonl$/, '.timeline.jsonl');
}

/**
 * Reads a `results.json` and, per scenario, the timeline `cardlab run --trace-dir` wrote beside its trace
 * (paths relative to the folder the run was in: the working directory, else the results file's parent
 * folders); a scenario without one has none.
 */
export function loadResultsWithTimelines(file: string): { results: ResultsReport; timelines: Array<TimelineEntry[] | undefined> } {
  const results = JSON.parse(readFileSync(file, 'utf8')) as ResultsReport;
  if (typeof results !== 'object' || results === null || !Array.isArray(results.results)) throw new Error(`${file} is not a cardlab results.json (no "results" list)`);
  const roots = [process.cwd(), dirname(resolve(file)), dirname(dirname(resolve(file)))];
  const timelines = results.results.map((r) => {
    if (!r.traces?.jsonl) return undefined;
    const found = roots.map((root) => resolve(root, timelinePath(r.traces!.jsonl))).find((p) => existsSync(p));
    return found ? parseTimelineJsonLines(readFileSync(found, 'utf8')) : undefined;
  });
  return { results, timelines };
}
