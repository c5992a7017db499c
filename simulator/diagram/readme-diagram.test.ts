import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cardMachine } from '../card-machine.ts';
import { toMermaidStateDiagram } from './mermaid.ts';

describe('the README shows the card statechart as the machine generates it', () => {
  it('its Mermaid block equals toMermaidStateDiagram(cardMachine): regenerate with `cardlab card diagram` when the machine changes', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const block = /```mermaid\n(stateDiagram-v2\n[\s\S]*?)```/.exec(readme);
    expect(block, 'README.md has no ```mermaid stateDiagram-v2 block').not.toBeNull();
    expect(block![1]!.trimEnd()).toBe(toMermaidStateDiagram(cardMachine).trimEnd());
  });
});
