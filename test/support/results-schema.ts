import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Validator } from 'jsonschema';

const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'results.schema.json'), 'utf8')) as Record<string, unknown>;
// ajv with its default (strict) schema checks, which also catch a mistyped keyword in the schema itself.
const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

/** What scenarios/results.schema.json finds wrong in a results.json, by both validators the project uses (ajv compiled, jsonschema interpreted); none when both accept it. */
export function resultsSchemaErrors(report: unknown): string[] {
  const errors = validate(report) ? [] : (validate.errors ?? []).map((e) => `ajv: ${e.instancePath} ${e.message}`);
  return [...errors, ...new Validator().validate(report, SCHEMA).errors.map((e) => `jsonschema: ${e.stack}`)];
}
