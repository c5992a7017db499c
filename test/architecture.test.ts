import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** Which top-level folders each folder may import (issue #2 / STYLE.md arrows). */
const ALLOWED: Record<string, string[]> = {
  protocol: ['protocol'],
  simulator: ['protocol', 'simulator'],
  'reader-bridge': ['protocol', 'simulator', 'reader-bridge'],
  terminal: ['protocol', 'reader-bridge', 'terminal'],
  servers: ['protocol', 'servers'],
  scenarios: ['protocol', 'simulator', 'reader-bridge', 'terminal', 'servers', 'scenarios'],
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('architecture: imports flow protocol ← simulator ← reader-bridge ← terminal ← scenarios; servers → protocol only', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const top of Object.keys(ALLOWED)) {
    const dir = join(ROOT, top);
    try {
      statSync(dir);
    } catch {
      continue;
    }
    for (const file of sources(dir)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        if (!spec.startsWith('.')) continue;
        checked++;
        const target = relative(ROOT, resolve(dirname(file), spec)).split(sep)[0]!;
        if (!ALLOWED[top]!.includes(target)) violations.push(`${relative(ROOT, file)} imports ${spec} (${top} → ${target})`);
        // Folders other than protocol are entered only through their index.ts.
        const path = relative(ROOT, resolve(dirname(file), spec));
        if (target !== top && target !== 'protocol' && path !== `${target}${sep}index.ts`) violations.push(`${relative(ROOT, file)} imports ${spec}: enter ${target} through its index.ts`);
      }
    }
  }

  it('checks a real number of imports', () => {
    expect(checked).toBeGreaterThan(50);
  });

  it('has no import against the arrows', () => {
    expect(violations).toEqual([]);
  });
});

describe('architecture: root files (index.ts, vitest.ts) are composition roots that enter each folder through its index.ts', () => {
  const violations: string[] = [];
  let checked = 0;
  const rootFiles = readdirSync(ROOT).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && statSync(join(ROOT, name)).isFile());
  for (const name of rootFiles) {
    const text = readFileSync(join(ROOT, name), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      checked++;
      const path = relative(ROOT, resolve(ROOT, spec));
      const target = path.split(sep)[0]!;
      if (!(target in ALLOWED)) violations.push(`${name} imports ${spec}: not one of the source folders`);
      // A folder without an index.ts yet (protocol has none; its sub-folders have theirs) is entered at its modules.
      else if (existsSync(join(ROOT, target, 'index.ts')) && path !== `${target}${sep}index.ts`) violations.push(`${name} imports ${spec}: enter ${target} through its index.ts`);
    }
  }

  it('checks the root files', () => {
    expect(rootFiles).toEqual(expect.arrayContaining(['index.ts', 'vitest.ts']));
    expect(checked).toBeGreaterThan(5);
  });

  it('has no root import past a folder index', () => {
    expect(violations).toEqual([]);
  });
});
