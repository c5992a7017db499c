import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Card } from '../../simulator/index.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runCardlab } from '../support/cardlab-cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const GUIDE = readFileSync(join(ROOT, 'docs', 'guides.md'), 'utf8');

interface Block {
  lang: string;
  body: string;
}

/** The guide's sections (`## …`) and their fenced code blocks, in order. */
function sections(): Map<string, Block[]> {
  const out = new Map<string, Block[]>();
  let current = '';
  const lines = GUIDE.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) out.set((current = line.slice(3)), []);
    const fence = /^```(\w+)$/.exec(line);
    if (!fence) continue;
    const body: string[] = [];
    while (lines[++i] !== '```') body.push(lines[i]!);
    out.get(current)?.push({ lang: fence[1]!, body: `${body.join('\n')}\n` });
  }
  return out;
}

/** The file a block is, named by its first line (`# file.yaml`, `// file.mjs`); the guide's one JSON block is card-keys.json. */
function fileOf(block: Block): string | undefined {
  if (block.lang === 'json') return 'card-keys.json';
  return /^(?:#|\/\/) ([\w.-]+\.(?:yaml|mjs|js))$/.exec(block.body.split('\n')[0]!)?.[1];
}

async function cardlab(cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  const r = await runCardlab(cwd, ...args);
  return { code: r.code, output: r.stdout + r.stderr };
}

/** Writes a section's files and runs its `npx cardlab` commands in order (those needing a real reader left out); every one must exit 0. */
async function walk(dir: string, section: string): Promise<string[]> {
  const blocks = sections().get(section);
  expect(blocks, `no section "${section}" in docs/guides.md`).toBeDefined();
  const ran: string[] = [];
  for (const block of blocks!) {
    const file = fileOf(block);
    if (file) writeFileSync(join(dir, file), block.body);
    if (block.lang !== 'sh') continue;
    for (const line of block.body.split('\n')) {
      if (!line.startsWith('npx cardlab ') || line.includes('--reader pcsc')) continue;
      const r = await cardlab(dir, line.slice('npx cardlab '.length).split(/\s+/).filter(Boolean));
      expect(r.code, `${line}\n${r.output}`).toBe(0);
      ran.push(line);
    }
  }
  return ran;
}

describe('docs/guides.md: the files and commands of the guides work as written', () => {
  it('your first scenario: validate and run pass, and the trace file is where the guide says', async () => {
    const dir = tempDir('cardlab-guide-');
    expect(await walk(dir, 'Your first scenario')).toEqual(['npx cardlab validate first-scenario.yaml', 'npx cardlab run first-scenario.yaml --trace-dir traces']);
    expect(readFileSync(join(dir, 'traces', 'my-first-scenario.trace.txt'), 'utf8')).toMatch(/>> 80 01 00 00 03 CA FE 01/);
  });

  it('an applet model, a CAP of your own, and your keys with a recorded run replayed, one after the other in one folder', async () => {
    const dir = tempDir('cardlab-guide-');
    expect(await walk(dir, 'Adding an applet model')).toHaveLength(1);
    expect(await walk(dir, 'Loading your own CAP')).toHaveLength(2);
    expect(await walk(dir, 'Running against a real reader with your keys')).toHaveLength(3);
  });

  it('the createCard({ applets }) example makes a card that runs the model', async () => {
    const dir = tempDir('cardlab-guide-');
    const blocks = sections().get('Adding an applet model')!;
    for (const block of blocks) {
      const file = fileOf(block);
      // The example imports the published package; here, the same exports from this checkout.
      if (file) writeFileSync(join(dir, file), block.body.replace("from 'cardlab'", `from '${pathToFileURL(join(ROOT, 'index.ts')).href}'`));
    }
    const { card } = (await import(pathToFileURL(join(dir, 'my-card.mjs')).href)) as { card: Card };
    expect(card).toBeInstanceOf(Card);
  });
});
