import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isScalar, parseDocument } from 'yaml';
import { checkScenarioText, hexValuePaths, parseScenario } from '../../scenarios/load-scenario.ts';
import { collectScenarioFiles } from '../../scenarios/run-suite.ts';
import { ScenarioError } from '../../scenarios/scenario-error.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLED = collectScenarioFiles([join(ROOT, 'scenarios', 'suite'), join(ROOT, 'test', 'fixtures', 'scenarios')]);

function refusal(text: string, file = 'suite/x.yaml'): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('accepted');
}

/** The ```yaml blocks of the README that are scenarios (they have steps). */
function readmeScenarios(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((t) => /^steps:/m.test(t));
}

describe('hex is a quoted string, read the same by every YAML tool', () => {
  it('refuses an unquoted status word (YAML reads 9000 as a number) and shows the quoted form', () => {
    const e = refusal('name: x\nsteps:\n  - apdu: "00A4040000"\n  - apdu: "80CA9F7F00"\n    expect: { sw: "9000" }\n  - apdu: "80CA9F7F00"\n    expect:\n      sw: 9000\n');
    expect(e.message).toBe('suite/x.yaml:8: steps[2].expect.sw: 9000 is read by YAML as a number; write it quoted: "9000"');
    expect([e.line, e.path]).toEqual([8, 'steps[2].expect.sw']);
  });

  it('refuses an unquoted forceSw match that YAML reads as 80 × 10^80001 (Infinity)', () => {
    const e = refusal('name: x\nsteps:\n  - fault: { forceSw: { match: 80E80001, sw: "6581" } }\n');
    expect(e.message).toBe('suite/x.yaml:3: steps[0].fault.forceSw.match: 80E80001 is read by YAML as a number (Infinity); write it quoted: "80E80001"');
  });

  it('refuses an unquoted security level (YAML reads 03 as 3)', () => {
    const e = refusal('name: x\nsteps:\n  - authenticate: { level: 03 }\n');
    expect(e.message).toBe('suite/x.yaml:3: steps[0].authenticate.level: 03 is read by YAML as a number (3); write it quoted: "03"');
  });

  it('refuses hex that only YAML 1.1 tools read as a number (0b0101 is 5 there)', () => {
    expect(refusal('name: x\nsteps:\n  - apdu: "00A4040000"\n    expect: { data: 0b0101 }\n').reason).toBe('0b0101 is read by YAML 1.1 tools as a number (5); write it quoted: "0b0101"');
  });

  it('refuses an empty hex value and hex in a JSON scenario written as a number', () => {
    expect(refusal('name: x\nsteps:\n  - select:\n').reason).toBe('has no value (YAML reads null); write the value quoted');
    expect(refusal('{"name": "x", "steps": [{"apdu": "00A4040000", "expect": {"sw": 9000}}]}', 'x.json').message).toBe('x.json:1: steps[0].expect.sw: 9000 is read by YAML as a number; write it quoted: "9000"');
  });

  it('reports every unquoted hex value of a file, in line order, and what else is wrong besides', () => {
    const check = checkScenarioText('name: x\nsteps:\n  - authenticate: { level: 03, kvn: 30 }\n  - select: A000000151000000\n  - apdu: 0012\n    expect: { sw: 900 }\n', 'x.yaml');
    expect(check.problems.map((p) => p.message)).toEqual([
      'x.yaml:3: steps[0].authenticate.level: 03 is read by YAML as a number (3); write it quoted: "03"',
      'x.yaml:3: steps[0].authenticate.kvn: 30 is read by YAML as a number; write it quoted: "30"',
      'x.yaml:5: steps[2].apdu: 0012 is read by YAML as a number (12); write it quoted: "0012"',
      'x.yaml:6: steps[2].expect.sw: 900 is read by YAML as a number; write it quoted: "900"',
    ]);
    expect(check.scenario).toBeUndefined();
  });

  it('accepts quoted hex as written, and leaves values that are not hex (an HTTP body) as YAML reads them', () => {
    const s = parseScenario('name: x\nsteps:\n  - apdu: "0012"\n    expect: { sw: "9000" }\n  - http: { target: issuer, path: /x, body: { level: 03, data: 12 } }\n', 'x.yaml');
    expect(s.steps[0]!.apdu).toBe('0012');
    expect(s.steps[1]!.http!.body).toEqual({ level: 3, data: 12 });
  });

  it('every hex value in the bundled scenarios and fixtures is a quoted scalar', () => {
    const unquoted: string[] = [];
    for (const file of BUNDLED) {
      const doc = parseDocument(readFileSync(file, 'utf8'));
      for (const path of hexValuePaths(doc.toJS())) {
        const node = doc.getIn(path, true);
        if (isScalar(node) && node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE') unquoted.push(`${file}: ${path.join('.')}: ${String(node.source)}`);
      }
    }
    expect(BUNDLED.length).toBeGreaterThan(25);
    expect(unquoted).toEqual([]);
  });

  it('the README examples quote their hex and validate', () => {
    const examples = readmeScenarios();
    expect(examples.length).toBeGreaterThan(0);
    for (const text of examples) {
      expect(checkScenarioText(text, 'README.md').problems.map((p) => p.message)).toEqual([]);
      const doc = parseDocument(text);
      const unquoted = hexValuePaths(doc.toJS()).filter((p) => {
        const node = doc.getIn(p, true);
        return isScalar(node) && node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE';
      });
      expect(unquoted.map((p) => p.join('.'))).toEqual([]);
    }
  });
});

describe('any text field YAML reads as something else', () => {
  it('says how to quote it, as for hex (a trace text written 9000)', () => {
    expect(refusal('name: x\nsteps:\n  - assert: { trace: { contains: [9000] } }\n').message).toBe('suite/x.yaml:3: steps[0].assert.trace.contains[0]: 9000 is read by YAML as a number; write it quoted: "9000"');
  });
});
