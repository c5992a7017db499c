import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TimelineEntry } from '../timeline/index.ts';
import { diagramEvents } from './html/diagram-model.ts';

const NAMES = { card: 'Card', terminal: 'Terminal', issuer: 'Issuer', provider: 'Provider' } as const;

/** Text Mermaid takes inside a message or note: no line breaks, no `;` or `#` (its statement and entity characters). */
const text = (s: string) => s.replace(/[\n;#]/g, ' ').replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›'));

/**
 * A scenario's timeline as a Mermaid `sequenceDiagram`: participants card, terminal, issuer and provider;
 * card and HTTP exchanges as messages (replies dashed, failures crossed), S1–S16, steps, faults and
 * restarts as notes.
 */
export function toMermaidSequence(title: string, timeline: readonly TimelineEntry[]): string {
  const out = ['sequenceDiagram', `  title ${text(title)}`, ...Object.entries(NAMES).map(([id, name]) => `  participant ${id} as ${name}`)];
  for (const e of diagramEvents(timeline)) {
    switch (e.kind) {
      case 'message':
        out.push(`  ${e.from}${e.reply ? (e.failed ? '--x' : '-->>') : e.failed ? '-x' : '->>'}${e.to}: ${text(e.label)}${e.fault ? ` (fault: ${text(e.fault)})` : ''}`);
        break;
      case 'marker':
        out.push(`  Note over terminal: ${text(e.label)}`);
        break;
      case 'step':
        out.push(`  Note over card,provider: ${text(e.label)}`);
        break;
      case 'fault':
        out.push(`  Note over ${e.party ?? 'terminal'}: ⚡ ${text(e.label)}`);
        break;
      case 'restart':
        out.push(`  Note over issuer,provider: restart: ${text(e.label)}`);
        break;
    }
  }
  return `${out.join('\n')}\n`;
}

/** Writes `<base>.mmd` per run that has a timeline into `dir`; returns the paths written. */
export function writeMermaidFiles(dir: string, runs: ReadonlyArray<{ name: string; timeline?: readonly TimelineEntry[] }>, bases: readonly string[]): string[] {
  mkdirSync(dir, { recursive: true });
  return runs.flatMap((r, i) => {
    if (!r.timeline) return [];
    const file = join(dir, `${bases[i]}.mmd`);
    writeFileSync(file, toMermaidSequence(r.name, r.timeline));
    return [file];
  });
}
