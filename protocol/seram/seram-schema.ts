import { readFileSync } from 'node:fs';
import type { Schema } from 'jsonschema';
import { compileSchema, type CompiledSchema } from '../json-schema/index.ts';
import { parse as parseYaml } from 'yaml';

/** The SERAM messages a schema exists for (gpseram.yaml components/schemas). */
export type SeramMessageKind = 'ramHandshakeCommand' | 'ramHandshakeResponse' | 'remoteManagementReport' | 'remoteManagementOrder';

export interface SeramSchemaError {
  /** JSON Pointer into the message. */
  path: string;
  message: string;
}

/** The vendored copy of GlobalPlatform's gpseram.yaml (MIT, see LICENSE beside it). */
export const GPSERAM_YAML_URL = new URL('./gpseram.yaml', import.meta.url);

/**
 * The component schemas of gpseram.yaml with its one erratum corrected (NOTES.md):
 * `ramHandshakeResponse` requires `chosenDataProtocol`, a property that does not exist; the property
 * (and every example) is `chosenDataFormat`, so that is what is required.
 */
export function loadSeramSchemas(): Record<string, Schema> {
  const doc = parseYaml(readFileSync(GPSERAM_YAML_URL, 'utf8')) as { components: { schemas: Record<string, Schema> } };
  const schemas = structuredClone(doc.components.schemas);
  const handshake = schemas['ramHandshakeResponse']!;
  handshake.required = (handshake.required as string[]).map((r) => (r === 'chosenDataProtocol' ? 'chosenDataFormat' : r));
  return schemas;
}

/**
 * The OpenAPI 3.0 meaning of a schema, made explicit for a draft-07 validator (OpenAPI 3.0.3
 * §4.7.24): `null` is a value only where `nullable: true` says so. gpseram.yaml leaves `type` out of
 * its object schemas (`localAgentStatus`, `ramResponse`, `ramCommand`, …), which draft-07 reads as
 * "any value", so `null`, `5` or `[]` would pass where a message needs an object: a schema with
 * `properties` or `required` and no `type` is an object; `nullable: true` adds `null` to its type.
 */
export function strictOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictOpenApiSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' || key === 'definitions') out[key] = mapValues(value as Record<string, unknown>, strictOpenApiSchema);
    else if (key === 'items' || key === 'allOf' || key === 'anyOf' || key === 'oneOf' || key === 'not' || key === 'additionalProperties') out[key] = strictOpenApiSchema(value);
    // Everything else is a literal (enum, example, required, discriminator, …), not a schema.
    else out[key] = value;
  }
  if (out['type'] === undefined && (out['properties'] !== undefined || out['required'] !== undefined)) out['type'] = 'object';
  if (out['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  return out;
}

function mapValues(record: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

const SCHEMAS = loadSeramSchemas();
/** The same schemas as draft-07 `definitions`, strict as OpenAPI means them, for jsonschema. */
const DEFINITIONS = mapValues(JSON.parse(JSON.stringify(SCHEMAS).replaceAll('#/components/schemas/', '#/definitions/')), strictOpenApiSchema) as Record<string, Schema>;
/** Each message schema compiled once (the validator is on every SERAM request's path, both ways). */
const compiled = new Map<string, CompiledSchema>();
function validatorOf(name: string): CompiledSchema {
  let v = compiled.get(name);
  if (v === undefined) {
    v = compileSchema({ $ref: `#/definitions/${name}` }, DEFINITIONS as Record<string, Record<string, unknown>>);
    compiled.set(name, v);
  }
  return v;
}

/**
 * `ramCommandType` values and the schema each names. gpseram.yaml's discriminator maps
 * `ramStartCommand`/`ramStopCommand`, while its examples and prose send `startCommand`/`stopCommand`;
 * both spellings are accepted, the examples' are sent.
 */
const COMMAND_SCHEMAS: Record<string, string> = {
  startCommand: 'ramStartCommand',
  ramStartCommand: 'ramStartCommand',
  seRamCommand: 'seRamCommand',
  notificationCommand: 'notificationCommand',
  stopCommand: 'ramStopCommand',
  ramStopCommand: 'ramStopCommand',
};
const RESPONSE_SCHEMAS: Record<string, string> = { seRamResponse: 'seRamResponse' };
/** gpseram.yaml's `apdu` pattern is unanchored (it matches any string); this is what it means. */
const APDU_HEX = /^([0-9A-F]{2})*$/;

function check(value: unknown, name: string, at: string): SeramSchemaError[] {
  const fault = validatorOf(name)(value);
  if (fault === undefined) return [];
  const segments = [...fault.path];
  if (fault.keyword === 'required' && fault.argument !== undefined) segments.push(fault.argument);
  return [{ path: at + segments.map((s) => `/${String(s)}`).join(''), message: `${fault.message} (${name})` }];
}

/**
 * Validates a SERAM message against gpseram.yaml (erratum corrected), then what the schema says in
 * prose or leaves to its OpenAPI-only keywords: each command and response against the schema its
 * discriminator names, and APDUs as whole upper-case hex. Returns the errors found (the first of the
 * message, else the first of each command or response); none = valid.
 */
export function seramErrors(kind: SeramMessageKind, message: unknown): SeramSchemaError[] {
  const errors = check(message, kind, '');
  if (errors.length > 0) return errors;
  const m = message as Record<string, unknown>;
  if (kind === 'remoteManagementOrder' && Array.isArray(m['ramCommands'])) {
    (m['ramCommands'] as Array<Record<string, unknown>>).forEach((c, i) => {
      const schema = COMMAND_SCHEMAS[String(c['ramCommandType'])];
      if (schema === undefined) errors.push({ path: `/ramCommands/${i}/ramCommandType`, message: `unknown ramCommandType '${String(c['ramCommandType'])}'` });
      else errors.push(...check(c, schema, `/ramCommands/${i}`));
      if (Array.isArray(c['listOfCAPDU'])) apdus(c['listOfCAPDU'], `/ramCommands/${i}/listOfCAPDU`, errors);
    });
  }
  if (kind === 'remoteManagementReport' && Array.isArray(m['ramResponses'])) {
    (m['ramResponses'] as Array<Record<string, unknown>>).forEach((r, i) => {
      const schema = RESPONSE_SCHEMAS[String(r['ramResponseType'])];
      if (schema === undefined) errors.push({ path: `/ramResponses/${i}/ramResponseType`, message: `unknown ramResponseType '${String(r['ramResponseType'])}'` });
      else errors.push(...check(r, schema, `/ramResponses/${i}`));
      if (Array.isArray(r['listOfRAPDU'])) apdus(r['listOfRAPDU'], `/ramResponses/${i}/listOfRAPDU`, errors);
    });
  }
  return errors;
}

function apdus(list: unknown[], at: string, errors: SeramSchemaError[]): void {
  list.forEach((a, j) => {
    if (typeof a === 'string' && !APDU_HEX.test(a)) errors.push({ path: `${at}/${j}`, message: 'is not an APDU as upper-case hex (apdu)' });
  });
}

/** The component schemas as OpenAPI 3.0 components (for `/openapi.json`). */
export function seramComponents(): Record<string, Schema> {
  return structuredClone(SCHEMAS);
}
