import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Validator, type ValidationError } from 'jsonschema';
import { LineCounter, parseDocument, isScalar, isMap, isSeq, visit, type Document, type Node } from 'yaml';
import { ScenarioError } from './scenario-error.ts';
import type { Scenario } from './scenario.ts';

const require = createRequire(import.meta.url);
const SCHEMA = require('./scenario.schema.json') as Record<string, unknown>;
const STEP_KINDS = ['apdu', 'authenticate', 'select', 'load', 'install', 'delete', 'getStatus', 'powerCycle', 'reset', 'fault', 'assert', 'provision', 'terminal', 'restart', 'wait', 'http'];

/**
 * Keys whose values are hex: YAML would read an unquoted `80500000` as a number and `0012` as 12, so
 * for these keys the scalar's source text is kept as written.
 */
const HEX_KEYS = new Set(['apdu', 'sw', 'data', 'response', 'select', 'aid', 'package', 'module', 'instance', 'packageAid', 'parameters', 'match', 'kvn', 'enc', 'mac', 'dek', 'level', 'instanceAid', 'aids', 'contains', 'applications', 'loadFiles', 'appletAids']);

function keepHexAsWritten(doc: Document): void {
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (!key || !HEX_KEYS.has(key)) return;
      const fix = (node: unknown) => {
        if (isScalar(node) && typeof node.value === 'number' && node.source !== undefined) node.value = String(node.source);
      };
      fix(pair.value);
      if (isSeq(pair.value)) pair.value.items.forEach(fix);
    },
  });
}

function jsonPath(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}

function lineOf(doc: Document, counter: LineCounter, path: Array<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Picks the error a person should read first: the deepest one, and a step-kind error in words. */
function explain(errors: ValidationError[], value: unknown): { path: Array<string | number>; reason: string } {
  const combinator = (e: ValidationError) => Number(['oneOf', 'anyOf', 'allOf', 'if', 'then', 'not'].includes(e.name));
  const ranked = [...errors].sort((a, b) => b.path.length - a.path.length || combinator(a) - combinator(b));
  const e = ranked[0]!;
  const stepKind = errors.find((x) => x.name === 'oneOf' && x.path.length === 2 && x.path[0] === 'steps');
  if (stepKind) {
    const step = (value as { steps: Array<Record<string, unknown>> }).steps[stepKind.path[1] as number] ?? {};
    const kinds = Object.keys(step).filter((k) => STEP_KINDS.includes(k));
    if (kinds.length !== 1) {
      return { path: stepKind.path, reason: kinds.length === 0 ? `a step needs exactly one of: ${STEP_KINDS.join(', ')} (found ${Object.keys(step).join(', ') || 'nothing'})` : `a step has one kind, this one has ${kinds.join(' and ')}` };
    }
  }
  let reason = e.message;
  if (e.name === 'additionalProperties') reason = `unknown field '${String(e.argument)}'`;
  else if (e.name === 'enum') reason = `must be one of ${(e.argument as unknown[]).map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(e.instance)}`;
  else if (e.name === 'pattern') reason = `${JSON.stringify(e.instance)} does not match ${String(e.argument)}${/sw/i.test(String(e.path.at(-1))) ? ' (a status word is 4 hex digits, e.g. "9000")' : ''}`;
  else if (e.name === 'required') reason = `missing required field '${String(e.argument)}'`;
  else if (e.name === 'type') reason = `must be ${String(e.argument)}, got ${JSON.stringify(e.instance)}`;
  return { path: e.path, reason };
}

/** Parses and validates YAML or JSON scenario text; every error names file, line and path. */
export function parseScenario(text: string, file: string): Scenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new ScenarioError(file, counter.linePos(err.pos[0]).line, '', `not valid YAML: ${err.message.split('\n')[0]}`);
  }
  keepHexAsWritten(doc);
  const value = doc.toJS() as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ScenarioError(file, 1, '', 'a scenario is a mapping with name and steps');
  const result = new Validator().validate(value, SCHEMA, { nestedErrors: true });
  if (!result.valid) {
    const { path, reason } = explain(result.errors, value);
    throw new ScenarioError(file, lineOf(doc, counter, path), jsonPath(path), reason);
  }
  const scenario = value as Scenario;
  scenario.file = file;
  scenario.stepLines = (scenario.steps ?? []).map((_, i) => lineOf(doc, counter, ['steps', i]) ?? 0);
  return scenario;
}

/** Reads a scenario file (YAML or JSON); relative paths inside it are resolved against its folder. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, undefined, '', `cannot read: ${(err as Error).message}`);
  }
  const scenario = parseScenario(text, file);
  scenario.dir = dirname(resolve(file));
  return scenario;
}
