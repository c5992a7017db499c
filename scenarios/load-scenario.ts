import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Validator, type ValidationError } from 'jsonschema';
import { LineCounter, parse, parseDocument, isScalar, isMap, isSeq, type Document, type Node, type Scalar } from 'yaml';
import { ScenarioError } from './scenario-error.ts';
import { networkFaultKind } from './faults/network-fault-kind.ts';
import { keySetProblem } from './env/scenario-keys.ts';
import type { NetworkFaultSpec, Scenario } from './scenario.ts';

const require = createRequire(import.meta.url);
const SCHEMA = require('./scenario.schema.json') as SchemaNode & { definitions: Record<string, SchemaNode> };
const STEP_KINDS = ['apdu', 'authenticate', 'select', 'load', 'install', 'delete', 'getStatus', 'powerCycle', 'reset', 'fault', 'assert', 'provision', 'terminal', 'restart', 'wait', 'http'];

const COMBINATORS = ['oneOf', 'anyOf', 'allOf', 'if', 'then', 'else', 'not'];

type Path = Array<string | number>;
interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode | SchemaNode[];
  allOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  if?: SchemaNode;
  then?: SchemaNode;
  else?: SchemaNode;
}

/** The schema's hex definitions: where these apply, a value is a string in every YAML reading, i.e. quoted. */
const HEX_DEFINITIONS = new Set(['hex', 'hexOrEmpty', 'hexPrefix', 'aid', 'sw', 'kvn', 'level', 'aesKey'].map((name) => `#/definitions/${name}`));

function jsonPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}

function lineOf(doc: Document, counter: LineCounter, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The paths in a scenario value where scenario.schema.json expects hex (an AID, a status word, bytes, a level…). */
export function hexValuePaths(value: unknown): Path[] {
  const found = new Map<string, Path>();
  hexPaths(SCHEMA, value, [], found);
  return [...found.values()];
}

function hexPaths(node: SchemaNode, value: unknown, path: Path, out: Map<string, Path>): void {
  if (node.$ref) {
    if (HEX_DEFINITIONS.has(node.$ref)) {
      out.set(jsonPath(path), path);
      return;
    }
    node = SCHEMA.definitions[node.$ref.replace('#/definitions/', '')] ?? {};
  }
  for (const branch of [...(node.allOf ?? []), ...(node.anyOf ?? []), ...(node.oneOf ?? [])]) hexPaths(branch, value, path, out);
  if (node.if) {
    const branch = new Validator().validate(value, node.if).valid ? node.then : node.else;
    if (branch) hexPaths(branch, value, path, out);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) {
      const sub = node.properties?.[key] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      if (sub) hexPaths(sub, v, [...path, key], out);
    }
  }
  if (Array.isArray(value) && node.items && !Array.isArray(node.items)) value.forEach((v, i) => hexPaths(node.items as SchemaNode, v, [...path, i], out));
}

/**
 * Why a scalar meant as a string (hex above all) is not one for every YAML tool, or undefined when it is. YAML 1.2 reads an
 * unquoted `9000` as a number and `80E80001` as Infinity; YAML 1.1 tools also read `0b0101` as 5.
 */
function notAStringProblem(node: Scalar): string | undefined {
  const source = node.source ?? '';
  const quoted = JSON.stringify(source);
  const read = (v: unknown) => (v === null ? 'null' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : `a ${typeof v}`);
  if (typeof node.value !== 'string') {
    if (source === '') return 'has no value (YAML reads null); write the value quoted';
    const shown = typeof node.value === 'number' && String(node.value) !== source ? ` (${node.value})` : '';
    return `${source} is read by YAML as ${read(node.value)}${shown}; write it quoted: ${quoted}`;
  }
  if (node.type !== 'PLAIN') return undefined;
  const yaml11 = parse(source, { version: '1.1' }) as unknown;
  if (typeof yaml11 !== 'string') return `${source} is read by YAML 1.1 tools as ${read(yaml11)} (${String(yaml11)}); write it quoted: ${quoted}`;
  return undefined;
}

/** Why a `load.cap` is neither a CAP file nor a generated CAP (the schema's oneOf, in words), or undefined. */
function capSpecProblem(cap: unknown): string | undefined {
  if (cap === null || typeof cap !== 'object' || Array.isArray(cap)) return undefined;
  const keys = Object.keys(cap);
  const generated = ['packageAid', 'appletAids', 'codeSize', 'version'].filter((k) => keys.includes(k));
  if (keys.includes('file') && generated.length > 0) return `a CAP is either a file of yours or generated, not both: drop ${generated.join(', ')} (the file says its package and applets) or file`;
  if (!keys.includes('file') && !(keys.includes('packageAid') && keys.includes('appletAids'))) return 'give a CAP file (file: path.cap, relative to the scenario) or a generated CAP (packageAid and appletAids)';
  return undefined;
}

/** Picks the error a person should read first: the deepest one, and a step-kind error in words. */
function explain(errors: ValidationError[], value: unknown): { path: Path; reason: string } {
  const combinator = (e: ValidationError) => Number(COMBINATORS.includes(e.name));
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
  else if (e.name === 'const') reason = `must be ${JSON.stringify(e.argument)}, got ${JSON.stringify(e.instance)}`;
  else if (e.name === 'pattern') reason = `${JSON.stringify(e.instance)} does not match ${String(e.argument)}${/sw/i.test(String(e.path.at(-1))) ? ' (a status word is 4 hex digits, e.g. "9000")' : ''}`;
  else if (e.name === 'required') reason = `missing required field '${String(e.argument)}'`;
  else if (e.name === 'type') reason = `must be ${String(e.argument)}, got ${JSON.stringify(e.instance)}`;
  return { path: e.path, reason };
}

/** The outcome of checking one scenario: every problem found (file, line, path), and the scenario when there are none. */
export interface ScenarioCheck {
  file: string;
  problems: ScenarioError[];
  scenario?: Scenario;
}

/**
 * Checks YAML or JSON scenario text against scenario.schema.json and the loader's own rules: hex is a
 * quoted string (every unquoted hex value is reported, with its quoted form), and a network fault's
 * kind agrees with its status or delay (then filled in). Reports every hex and fault problem and the
 * first remaining schema error, each naming file, line and path.
 */
export function checkScenarioText(text: string, file: string): ScenarioCheck {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problem = (path: Path, reason: string) => new ScenarioError(file, lineOf(doc, counter, path), jsonPath(path), reason);
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    return { file, problems: [new ScenarioError(file, counter.linePos(err.pos[0]).line, '', `not valid YAML: ${err.message.split('\n')[0]}`)] };
  }
  const problems: ScenarioError[] = [];
  const reported: string[] = [];
  for (const path of hexValuePaths(doc.toJS())) {
    const node = doc.getIn(path, true);
    if (!isScalar(node)) continue;
    const reason = notAStringProblem(node);
    if (!reason) continue;
    problems.push(problem(path, reason));
    reported.push(jsonPath(path));
    // Read on as if it were quoted, so the schema reports only what is wrong besides.
    node.value = node.source ?? '';
  }
  const value = doc.toJS() as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { file, problems: [new ScenarioError(file, 1, '', 'a scenario is a mapping with name and steps')] };
  const steps = (value as { steps?: unknown }).steps;
  (Array.isArray(steps) ? steps : []).forEach((step, i) => {
    const network = (step as { fault?: { network?: NetworkFaultSpec } } | null)?.fault?.network;
    if (network === null || typeof network !== 'object') return;
    const kind = networkFaultKind(network);
    if (typeof kind === 'string') network.kind = kind;
    else {
      problems.push(problem(['steps', i, 'fault', 'network', kind.field], kind.reason));
      reported.push(jsonPath(['steps', i, 'fault', 'network']));
    }
  });
  (Array.isArray(steps) ? steps : []).forEach((step, i) => {
    const cap = (step as { load?: { cap?: unknown } } | null)?.load?.cap;
    const reason = capSpecProblem(cap);
    if (!reason) return;
    problems.push(problem(['steps', i, 'load', 'cap'], reason));
    reported.push(jsonPath(['steps', i, 'load', 'cap']));
  });
  const result = new Validator().validate(value, SCHEMA, { nestedErrors: true });
  const within = (path: Path, outer: string) => {
    const at = jsonPath(path);
    return outer === '' || at === outer || at.startsWith(`${outer}.`) || at.startsWith(`${outer}[`);
  };
  const covered = result.errors.filter((e) => reported.some((p) => within(e.path, p)));
  // A combinator error (allOf, if/then…) wrapping only what was reported above says nothing new.
  const rest = result.errors.filter((e) => !covered.includes(e) && !(COMBINATORS.includes(e.name) && covered.some((c) => within(c.path, jsonPath(e.path)))));
  if (rest.length > 0) {
    const { path, reason } = explain(rest, value);
    // Any string field (a name, a trace text) written so that YAML reads something else: say how to quote it.
    const node = doc.getIn(path, true);
    const asString = rest.some((e) => e.name === 'type' && jsonPath(e.path) === jsonPath(path) && String(e.argument) === 'string') && isScalar(node) ? notAStringProblem(node) : undefined;
    problems.push(problem(path, asString ?? reason));
  }
  // What the schema cannot say of a keyset: one key length for all three, a key version the card accepts (01–7F).
  const keys = (value as { keys?: unknown }).keys;
  const keysProblem = problems.length === 0 && keys !== undefined ? keySetProblem(keys) : undefined;
  if (keysProblem) problems.push(problem(['keys'], keysProblem));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0) return { file, problems };
  const scenario = value as Scenario;
  scenario.file = file;
  scenario.stepLines = (scenario.steps ?? []).map((_, i) => lineOf(doc, counter, ['steps', i]) ?? 0);
  return { file, problems, scenario };
}

/** Checks a scenario file (YAML or JSON); see checkScenarioText. A file that cannot be read is one problem. */
export function checkScenarioFile(file: string): ScenarioCheck {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, problems: [new ScenarioError(file, undefined, '', `cannot read: ${(err as Error).message}`)] };
  }
  const check = checkScenarioText(text, file);
  if (check.scenario) check.scenario.dir = dirname(resolve(file));
  return check;
}

/** Parses and validates YAML or JSON scenario text; throws the first problem (file, line, path). */
export function parseScenario(text: string, file: string): Scenario {
  const check = checkScenarioText(text, file);
  if (!check.scenario) throw check.problems[0]!;
  return check.scenario;
}

/** Reads a scenario file (YAML or JSON); relative paths inside it are resolved against its folder. */
export function loadScenario(file: string): Scenario {
  const check = checkScenarioFile(file);
  if (!check.scenario) throw check.problems[0]!;
  return check.scenario;
}
