import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * cardlab as its users get it: built, packed by `npm pack`, installed from the tarball into an empty
 * project (dependencies from the local npm cache), then used from plain node, from vitest, from tsc
 * and through its command line.
 */
const ROOT = resolve(import.meta.dirname, '../..');
/**
 * The package holds dist/ (for each compiled module its .js and .d.ts, and the files modules read at run
 * time: SQL, YAML, JSON schemas, scripts), bin/, README, LICENSE and package.json — and nothing else: every
 * shipped file is checked against that list below, so the count is only a sanity bound.
 */
const MAX_FILES = 900;
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'cardlab-package-'));
const project = join(work, 'consumer');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command; the child sees no vitest variables, so a nested vitest is a plain one. */
async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
  try {
    const { stdout } = await run(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** The version the repository itself uses, so the cache has it. */
const installed = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

const CONSUMER_FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  'tsconfig.json': JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], allowJs: true, checkJs: true, skipLibCheck: false },
    include: ['*.mjs', 'test'],
  }),
  'use.mjs': `import { join } from 'node:path';
import { createCard, createSimReader, buildSelect, swOf, swHex, runScenario, BUNDLED_SCENARIOS } from 'cardlab';

const card = createCard({ seed: 7 });
const reader = createSimReader(card);
await reader.powerOn();
const sw = swHex(swOf(await reader.transmit(buildSelect())));
const result = await runScenario(join(BUNDLED_SCENARIOS, 'card-locked.yaml'));
await reader.close();
console.log(JSON.stringify({ sw, scenario: result.status, failure: result.failure?.message }));
`,
  'test/card.test.ts': `import { join } from 'node:path';
import { BUNDLED_SCENARIOS, buildSelect, hex } from 'cardlab';
import { expect, runScenario, test } from 'cardlab/vitest';

test('the ISD answers SELECT, an unknown AID 6A82', async ({ reader, card }) => {
  expect(await reader.transmit(buildSelect())).toEndWith9000();
  expect(card.transmit(hex\`00 A4 04 00 05 A0 00 00 09 99 00\`)).toHaveStatusWord('6A82');
  expect(await reader.transmit(buildSelect())).not.toHaveStatusWord(0x6a82);
});
test('a bundled scenario passes', async () => expect((await runScenario(join(BUNDLED_SCENARIOS, 'card-two-applets.yaml'))).status).toBe('passed'));
`,
};

describe('the npm package', () => {
  let files: string[] = [];

  beforeAll(async () => {
    await sh(process.execPath, [join(ROOT, 'scripts/build.mjs')], ROOT);
    // Built just above; --ignore-scripts keeps prepack from building again (and stdout pure JSON).
    const packed = JSON.parse(await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
    const tarball = packed[0]!;
    files = tarball.files.map((f) => f.path);
    console.log(`cardlab tarball: ${files.length} files, ${(tarball.size / 1024).toFixed(0)} kB packed, ${(tarball.unpackedSize / 1024).toFixed(0)} kB unpacked`);

    for (const [name, text] of Object.entries(CONSUMER_FILES)) {
      mkdirSync(join(project, name, '..'), { recursive: true });
      writeFileSync(join(project, name), text);
    }
    const specs = [join(work, tarball.filename), `vitest@${installed('vitest')}`, `typescript@${installed('typescript')}`, `@types/node@${installed('@types/node')}`];
    const install = (mode: string) => sh('npm', ['install', mode, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...specs], project);
    // Everything is in the cache since this repository's own install; --prefer-offline if a package document is not.
    await install('--offline').catch(() => install('--prefer-offline'));
  }, 240_000);

  it(`ships dist/, bin/ and README only: no tests, no .cardlab, no reports, fewer than ${MAX_FILES} files`, () => {
    expect(files.filter((f) => /\.test\.|\.test-util\.|(^|\/)(test|\.cardlab|reports)\//.test(f))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|bin\/|README\.md$|LICENSE$|package\.json$)/.test(f))).toEqual([]);
    // In dist/: compiled modules with their declarations, and run-time files of the kinds the code reads.
    expect(files.filter((f) => f.startsWith('dist/') && !/\.(js|d\.ts|mjs|sh|sql|yaml|json)$|\/LICENSE$/.test(f))).toEqual([]);
    const modules = files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
    expect(modules.filter((f) => !files.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/vitest.js', 'dist/scenarios/scenario.schema.json', 'bin/cardlab.js']));
    expect(files.length).toBeLessThan(MAX_FILES);
  });

  it('works from plain node: a card answers SELECT with 9000 and a bundled scenario passes', async () => {
    expect(JSON.parse(await sh(process.execPath, ['use.mjs'], project))).toEqual({ sw: '9000', scenario: 'passed' });
  });

  it('works from vitest: card and reader fixtures, status-word matchers, runScenario', async () => {
    const out = await sh(process.execPath, [join(project, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=dot'], project);
    expect(out.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed/);
  }, 60_000);

  it('type-checks in a strict NodeNext project (declarations included, no skipLibCheck)', async () => {
    expect(await sh(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], project)).toBe('');
  }, 60_000);

  it('runs its command line from dist/ without tsx, suite workers included', async () => {
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const cardlab = (...args: string[]) => sh(process.execPath, [join(project, 'node_modules/.bin/cardlab'), ...args], project);
    expect((await cardlab('--version')).trim()).toBe(version);
    const suite = join(project, 'node_modules/cardlab/dist/scenarios/suite');
    expect(await cardlab('run', join(suite, 'card-locked.yaml'), join(suite, 'card-two-applets.yaml'), '--workers', '2')).toMatch(/2 scenarios: 2 passed, 0 failed/);
  }, 60_000);
});
