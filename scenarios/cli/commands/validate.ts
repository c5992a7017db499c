import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { bundledSuite } from '../options.ts';

/** A path as the user reads it: relative to the working directory when it lies below it. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * `cardlab validate [paths…]`: checks scenario files against scenario.schema.json and the loader's own
 * rules (hex quoted, network faults consistent) without running them; prints one `file:line: path:
 * reason` line per problem. Exit 0 when every file is valid, 1 when any is not, 2 for a path that
 * does not exist or holds no scenario file.
 */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check scenario files (YAML/JSON) against the scenario schema without running them')
    .argument('[paths...]', 'scenario files or folders, relative to the working directory (default: the bundled suite)')
    .action(async (paths: string[]) => {
      const { checkScenarioFile } = await import('../../load-scenario.ts');
      const { collectScenarioFiles } = await import('../../run-suite.ts');
      const roots = paths.length > 0 ? paths : [bundledSuite()];
      const missing = roots.filter((p) => !existsSync(p));
      if (missing.length > 0) throw new Error(`no such file or folder: ${missing.join(', ')}`);
      const files = collectScenarioFiles(roots);
      if (files.length === 0) throw new Error(`no scenario files (.yaml, .yml, .json) under ${roots.map(shown).join(', ')}`);
      let invalid = 0;
      let problems = 0;
      for (const file of files) {
        const check = checkScenarioFile(shown(file));
        if (check.problems.length === 0) continue;
        invalid++;
        problems += check.problems.length;
        for (const p of check.problems) process.stdout.write(`${p.message}\n`);
      }
      const total = `${files.length} scenario file${files.length === 1 ? '' : 's'}`;
      process.stdout.write(invalid === 0 ? `${total}: all valid\n` : `${total}: ${files.length - invalid} valid, ${invalid} invalid (${problems} problem${problems === 1 ? '' : 's'})\n`);
      process.exitCode = invalid === 0 ? 0 : 1;
    });
}
