import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** Static imports only (`import … from`, `export … from`): a dynamic `import()` inside an action loads when that command runs. */
const STATIC_IMPORT = /^\s*(?:import|export)\s(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm;

/** Every module `cardlab --help` loads: the static import closure of the CLI entry, our files and packages. */
function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (existsSync(target)) visit(target);
      } else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('CLI start-up loads only what the command it runs needs', () => {
  const { files, packages } = staticClosure(resolve(ROOT, 'scenarios/cli/cardlab.ts'));

  it('statically, the command line reaches commander and its own option parsers, not the servers, the card or the SERAM schema', () => {
    expect([...packages].sort()).toEqual(['commander']);
    const heavy = [...files].map((f) => relative(ROOT, f)).filter((f) => /^(servers|simulator|reader-bridge|terminal)\/|^protocol\/(seram|crypto|pki|cap\/(?!limits))/.test(f));
    expect(heavy).toEqual([]);
  });

  it('still finds the heavy modules a command needs, inside its action (the check can fail)', () => {
    const serve = readFileSync(resolve(ROOT, 'scenarios/cli/commands/serve.ts'), 'utf8');
    expect(serve).toMatch(/await import\(['"][^'"]*servers\/index\.ts['"]\)/);
  });
});
