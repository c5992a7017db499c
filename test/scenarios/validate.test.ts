import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { checkScenarioText } from '../../scenarios/load-scenario.ts';
import { collectScenarioFiles } from '../../scenarios/run-suite.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'cardlab.js');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'scenario.schema.json'), 'utf8')) as object;
const SUITE = collectScenarioFiles([join(ROOT, 'scenarios', 'suite')]);
const FIXTURES = collectScenarioFiles([join(ROOT, 'test', 'fixtures', 'scenarios')]);

/**
 * A second draft-07 validator, over the file as plain `yaml` reads it: what an editor with the schema
 * sees. Formats off: ajv knows `uri` only with ajv-formats, and no bundled file names servers by URL.
 */
const ajvValidate = new Ajv({ strict: false, validateFormats: false }).compile(SCHEMA);
function ajvValid(text: string): boolean | 'not yaml' {
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    return 'not yaml';
  }
  return ajvValidate(value);
}

function cardlab(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
}

describe('cardlab validate agrees with a plain YAML parser and ajv (draft-07)', () => {
  it('finds every bundled scenario valid, as ajv does over plain yaml', () => {
    expect(SUITE.length).toBeGreaterThan(25);
    const disagreements = SUITE.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return ajvValid(text) !== true || checkScenarioText(text, f).problems.length > 0;
    });
    expect(disagreements).toEqual([]);
  });

  it('agrees on every fixture, valid or not, and on the unquoted-hex cases', () => {
    const texts = [
      ...FIXTURES.map((f) => readFileSync(f, 'utf8')),
      'name: x\nsteps:\n  - apdu: "80CA9F7F00"\n    expect: { sw: 9000 }\n',
      'name: x\nsteps:\n  - fault: { forceSw: { match: 80E80001, sw: "6581" } }\n',
      'name: x\nsteps:\n  - authenticate: { level: 03 }\n',
      'name: x\nsteps:\n  - authenticate: { level: "03" }\n  - select: "A000000151000000"\n',
      'name: x\nsteps:\n  - fault: { network: { target: issuer, kind: error, status: 503 } }\n',
    ];
    for (const text of texts) {
      const ajv = ajvValid(text);
      const ours = checkScenarioText(text, 'x.yaml').problems.length === 0;
      expect({ text, valid: ajv === 'not yaml' ? false : ajv }).toEqual({ text, valid: ours });
    }
  });

  it('exits 0 on the bundled suite (the default), listing nothing wrong', () => {
    const r = cardlab('validate');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${SUITE.length} scenario files: all valid\n`);
    expect(r.status).toBe(0);
  });

  it('exits 1 with file:line:path messages when a file is invalid, checking the rest too', () => {
    const dir = tempDir('cardlab-validate-');
    writeFileSync(join(dir, 'good.yaml'), 'name: good\nsteps:\n  - apdu: "00A4040000"\n    expect: { sw: "9000" }\n');
    writeFileSync(join(dir, 'x.yaml'), 'name: x\nsteps:\n  - apdu: "00A4040000"\n  - authenticate: { level: 03 }\n  - apdu: "80CA9F7F00"\n    expect: { sw: 9000 }\n');
    const r = cardlab('validate', dir);
    const file = join(dir, 'x.yaml');
    expect(r.stdout).toBe(
      `${file}:4: steps[1].authenticate.level: 03 is read by YAML as a number (3); write it quoted: "03"\n` +
        `${file}:6: steps[2].expect.sw: 9000 is read by YAML as a number; write it quoted: "9000"\n` +
        '2 scenario files: 1 valid, 1 invalid (2 problems)\n',
    );
    expect(r.status).toBe(1);
  });

  it('exits 2 for a path that does not exist', () => {
    const r = cardlab('validate', 'scenarios/suite', 'no/such/folder');
    expect(r.stderr).toContain('no such file or folder: no/such/folder');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });
});
