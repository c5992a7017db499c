import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toAnnotatedText, toJsonLines } from '../../reader-bridge/index.ts';
import type { ScenarioResult } from '../run-scenario.ts';
import { reportPath, scenarioLabel, type TraceFiles } from './suite-run.ts';

export type { TraceFiles };

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'scenario';
}

/** The file base name for each result, in order: the scenario's name (for a file that could not be loaded, its relative path) as a slug, `-2`, `-3`… when two names give the same slug. */
export function traceFileBases(results: readonly ScenarioResult[]): string[] {
  const used = new Set<string>();
  return results.map((r) => {
    const name = scenarioLabel(r);
    let base = slug(name);
    for (let i = 2; used.has(base); i++) base = `${slug(name)}-${i}`;
    used.add(base);
    return base;
  });
}

/**
 * Writes, per scenario, the annotated text trace (golden-transcript format, replayable) as `<slug>.trace.txt`
 * and the JSON-lines trace as `<slug>.trace.jsonl` into `dir`; returns the paths written, in result order
 * (`dir` joined with the file name, so relative when `dir` is), for the reports to point at.
 */
export function writeTraceFiles(dir: string, results: readonly ScenarioResult[]): TraceFiles[] {
  mkdirSync(dir, { recursive: true });
  const bases = traceFileBases(results);
  return results.map((r, i) => {
    const files = { text: join(dir, `${bases[i]}.trace.txt`), jsonl: join(dir, `${bases[i]}.trace.jsonl`) };
    writeFileSync(files.text, `# ${scenarioLabel(r)} (${reportPath(r.file)}), seed ${r.seed}: ${r.status}\n${toAnnotatedText(r.trace)}`);
    writeFileSync(files.jsonl, toJsonLines(r.trace));
    return files;
  });
}
