import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { CommanderError, type Command } from 'commander';

/**
 * `cardlab card diagram [-o FILE]`: the card's statechart as a Mermaid `stateDiagram-v2`, generated from the
 * card machine itself. Standard output by default; a file when `-o` is given (parent folders made, a `.md`
 * file wrapped in a ```mermaid fence).
 */
export function registerCardDiagram(card: Command): void {
  card
    .command('diagram')
    .description("print the card's statechart as a Mermaid stateDiagram-v2, generated from the card machine")
    .option('-o, --output <file>', 'write it to this file instead (a .md file gets a ```mermaid fence)')
    // A usage error is an error like any other here: exit code 2 (help still exits 0).
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(async (opts: { output?: string }) => {
      const { cardMachine, toMermaidStateDiagram } = await import('../../../simulator/index.ts');
      const diagram = toMermaidStateDiagram(cardMachine);
      if (opts.output === undefined) {
        process.stdout.write(diagram);
        return;
      }
      if (opts.output.trim() === '') throw new Error('-o wants a file name');
      const text = extname(opts.output).toLowerCase() === '.md' ? '```mermaid\n' + diagram + '```\n' : diagram;
      try {
        mkdirSync(dirname(opts.output), { recursive: true });
        writeFileSync(opts.output, text);
      } catch (err) {
        throw new Error(`cannot write ${opts.output}: ${(err as Error).message}`);
      }
      process.stdout.write(`wrote ${opts.output}\n`);
    });
}
