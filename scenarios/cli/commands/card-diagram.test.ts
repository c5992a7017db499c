import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cardMachine, toMermaidStateDiagram } from '../../../simulator/index.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/cardlab.js');
const dir = mkdtempSync(join(tmpdir(), 'cardlab-diagram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cardlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'card', 'diagram', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cardlab card diagram', () => {
  const diagram = toMermaidStateDiagram(cardMachine);

  it("prints the card machine's Mermaid diagram on standard output", () => {
    expect(cardlab()).toEqual({ status: 0, stdout: diagram, stderr: '' });
  });

  it('-o writes the file, making its folders, and says so', () => {
    const file = join(dir, 'docs', 'card.mmd');
    expect(cardlab('-o', file)).toEqual({ status: 0, stdout: `wrote ${file}\n`, stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe(diagram);
  });

  it('-o FILE.md wraps the diagram in a mermaid fence', () => {
    const file = join(dir, 'card.md');
    expect(cardlab('-o', file).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('```mermaid\n' + diagram + '```\n');
  });

  it('exits 2 with the reason when the file cannot be written or the usage is wrong', () => {
    const unwritable = cardlab('-o', dir);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toMatch(/^cardlab: cannot write .*EISDIR/);
    const extra = cardlab('now');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain("too many arguments for 'diagram'");
  });
});
