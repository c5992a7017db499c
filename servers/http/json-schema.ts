import type { Schema } from 'jsonschema';
import { compileSchema, type CompiledSchema, type SchemaFault } from '../../protocol/json-schema/index.ts';
import { HttpError, type HttpErrorCode } from './http-error.ts';

/** A draft-07 JSON Schema that is also a valid OpenAPI 3.0 Schema Object (no `const`, no `$schema`). */
export type JsonSchema = Schema;

/** Each schema compiled once, on first use (route schemas are module constants). */
const compiled = new WeakMap<JsonSchema, CompiledSchema>();

function validatorOf(schema: JsonSchema): CompiledSchema {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = compileSchema(schema as Record<string, unknown>);
    compiled.set(schema, v);
  }
  return v;
}

/** JSON Pointer of a fault's location (`/card/cin`); `''` for the whole document. */
function pointer(fault: SchemaFault): string {
  const segments = [...fault.path];
  // `required` reports the parent; point at the missing member itself.
  if ((fault.keyword === 'required' || fault.keyword === 'additionalProperties') && fault.argument !== undefined) segments.push(fault.argument);
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Validates `value`; returns the first error as an HttpError (400) or undefined when valid. */
export function checkSchema(value: unknown, schema: JsonSchema, code: HttpErrorCode = 'invalid_body', what = 'body'): HttpError | undefined {
  const first = validatorOf(schema)(value);
  if (first === undefined) return undefined;
  const path = pointer(first);
  const where = path === '' ? what : `${what}${path}`;
  return new HttpError(400, code, `${where} ${first.message}`, path === '' ? '/' : path);
}

/** Throws the first schema error as an HttpError (400). */
export function assertSchema(value: unknown, schema: JsonSchema, code: HttpErrorCode = 'invalid_body', what = 'body'): void {
  const error = checkSchema(value, schema, code, what);
  if (error) throw error;
}

/** Schema fragments used by several bodies. */
export const HEX = (min = 0, max = 1 << 20): JsonSchema => ({ type: 'string', pattern: '^([0-9A-Fa-f]{2})*$', minLength: min * 2, maxLength: max * 2 });
export const AID: JsonSchema = { type: 'string', pattern: '^([0-9A-Fa-f]{2}){5,16}$', description: 'AID, 5 to 16 bytes in hex' };
export const ID: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };
export const ERROR_BODY: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, path: { type: 'string' } },
    },
  },
};
