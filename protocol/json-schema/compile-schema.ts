import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * JSON Schema (draft-07) validators compiled once, with ajv: every request body of the servers and
 * every GP SERAM message is validated on each request, and an interpreting validator re-reads the
 * schema each time (it cost the servers ~15 % of their CPU per provisioning flow). ajv compiles each
 * schema to a function once. The first error comes back with its place and a message in the words
 * the servers have always used (`does not match pattern "…"`, `requires property "cin"`).
 */

/** A schema as this module reads it (draft-07 JSON). */
export type Schema = { [keyword: string]: unknown } | boolean;

/** The first reason a value does not conform. */
export interface SchemaFault {
  /** Where, from the root: property names and array indices. */
  path: Array<string | number>;
  keyword: string;
  /** The missing or extra property for `required` / `additionalProperties`. */
  argument?: string;
  message: string;
}

/** Returns the first fault, or undefined when the value conforms. */
export type CompiledSchema = (value: unknown) => SchemaFault | undefined;

/**
 * One ajv for every schema: no format assertions, Unicode-aware patterns, OpenAPI's annotation
 * keywords (`example`, `discriminator`, …) ignored (`strict: false`); the validation keywords this
 * module does not promise are refused before compiling (`refuseUnsupported`), so nothing a schema
 * says is silently not checked.
 */
const ajv = new Ajv({ allErrors: false, strict: false, strictSchema: false, validateFormats: false, unicodeRegExp: true });

const UNSUPPORTED = ['format', 'oneOf', 'anyOf', 'not', 'if', 'patternProperties', 'dependencies', 'propertyNames', 'contains', 'const'];

/** Refuses, anywhere in a schema tree, a keyword our callers would expect checked and this module does not promise. */
function refuseUnsupported(schema: unknown, where = '#'): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const s = schema as Record<string, unknown>;
  for (const k of UNSUPPORTED) if (k in s) throw new Error(`JSON Schema keyword '${k}' at ${where} is not supported by compileSchema`);
  for (const container of ['properties', 'definitions'] as const) {
    const children = s[container];
    if (children && typeof children === 'object') for (const [name, child] of Object.entries(children)) refuseUnsupported(child, `${where}/${container}/${name}`);
  }
  for (const single of ['items', 'additionalProperties'] as const) refuseUnsupported(s[single], `${where}/${single}`);
  if (Array.isArray(s.allOf)) s.allOf.forEach((child, i) => refuseUnsupported(child, `${where}/allOf/${i}`));
}

function pathOf(instancePath: string): Array<string | number> {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** An ajv error in the servers' words. */
function faultOf(e: ErrorObject): SchemaFault {
  const p = e.params as Record<string, unknown>;
  const path = pathOf(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return { path, keyword: 'required', argument: String(p.missingProperty), message: `requires property ${JSON.stringify(p.missingProperty)}` };
    case 'additionalProperties':
      return { path, keyword: 'additionalProperties', argument: String(p.additionalProperty), message: `is not allowed to have the additional property ${JSON.stringify(p.additionalProperty)}` };
    case 'type':
      return { path, keyword: 'type', message: `is not of a type(s) ${Array.isArray(p.type) ? p.type.join(',') : String(p.type)}` };
    case 'pattern':
      return { path, keyword: 'pattern', message: `does not match pattern ${JSON.stringify(String(p.pattern))}` };
    case 'minLength':
    case 'minItems':
      return { path, keyword: e.keyword, message: `does not meet minimum length of ${String(p.limit)}` };
    case 'maxLength':
    case 'maxItems':
      return { path, keyword: e.keyword, message: `does not meet maximum length of ${String(p.limit)}` };
    case 'minimum':
      return { path, keyword: 'minimum', message: `must be greater than or equal to ${String(p.limit)}` };
    case 'maximum':
      return { path, keyword: 'maximum', message: `must be less than or equal to ${String(p.limit)}` };
    case 'enum':
      return { path, keyword: 'enum', message: `is not one of enum values: ${(p.allowedValues as unknown[]).map(String).join(',')}` };
    default:
      return { path, keyword: e.keyword, message: e.message ?? `fails ${e.keyword}` };
  }
}

/**
 * Compiles `schema` (with `definitions` for its `$ref`s: `#/definitions/x`) into a validator that
 * returns the first fault. Throws on a keyword our callers would expect checked and ajv is not asked
 * to (`format`, `oneOf`, …) and on a `$ref` to nowhere.
 */
export function compileSchema(schema: Schema, definitions: Record<string, Schema> = {}): CompiledSchema {
  const whole = typeof schema === 'boolean' ? schema : { ...schema, definitions: { ...definitions, ...((schema.definitions as Record<string, Schema> | undefined) ?? {}) } };
  refuseUnsupported(whole);
  const validate: ValidateFunction = ajv.compile(whole);
  return (value) => (validate(value) ? undefined : faultOf(validate.errors![0]!));
}
