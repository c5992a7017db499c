import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toAnnotatedText, toJsonLines } from '../../reader-bridge/index.ts';
import type { ScenarioResult } from '../run-scenario.ts';

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'scenario';
}

/** Writes, per scenario, the annotated text trace (golden-transcript format, replayable) as `<slug>.trace.txt` and `<slug>.trace.jsonl` for every scenario into `dir`. */
export function writeTraceFiles(dir: string, results: ScenarioResult[]): void {
  mkdirSync(dir, { recursive: true });
  const used = new Set<string>();
  for (const r of results) {
    let base = slug(r.name);
    for (let i = 2; used.has(base); i++) base = `${slug(r.name)}-${i}`;
    used.add(base);
    writeFileSync(join(dir, `${base}.trace.txt`), `# ${r.name} (${r.file}), seed ${r.seed}: ${r.status}\n${toAnnotatedText(r.trace)}`);
    writeFileSync(join(dir, `${base}.trace.jsonl`), toJsonLines(r.trace));
  }
}
