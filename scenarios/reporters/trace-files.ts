import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceEntry } from '../run-context.ts';
import type { ScenarioResult } from '../run-scenario.ts';

function spaced(hex: string): string {
  return hex.replace(/(..)(?=.)/g, '$1 ');
}

/** The annotated text view of a trace: the golden-transcript format (`>>`, `#`, `<<`), replayable. */
export function traceToText(entries: TraceEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    if (e.dir === 'ATR') lines.push(`@atr ${spaced(e.hex)}`);
    else if (e.dir === 'C') lines.push(`>> ${spaced(e.hex)}`);
    else if (e.dir === 'R') {
      for (const n of e.note ?? []) lines.push(`# ${n}`);
      lines.push(`<< ${spaced(e.hex)}`);
    } else lines.push(`# event: ${(e.note ?? []).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON-lines view: one entry per line, with its timestamp. */
export function traceToJsonLines(entries: TraceEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
}

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'scenario';
}

/** Writes `<slug>.trace.txt` and `<slug>.trace.jsonl` for every scenario into `dir`. */
export function writeTraceFiles(dir: string, results: ScenarioResult[]): void {
  mkdirSync(dir, { recursive: true });
  const used = new Set<string>();
  for (const r of results) {
    let base = slug(r.name);
    for (let i = 2; used.has(base); i++) base = `${slug(r.name)}-${i}`;
    used.add(base);
    writeFileSync(join(dir, `${base}.trace.txt`), `# ${r.name} (${r.file}), seed ${r.seed}: ${r.status}\n${traceToText(r.trace)}`);
    writeFileSync(join(dir, `${base}.trace.jsonl`), traceToJsonLines(r.trace));
  }
}
