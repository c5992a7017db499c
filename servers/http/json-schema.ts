import { Validator, type Schema, type ValidationError } from 'jsonschema';
import { HttpError, type HttpErrorCode } from './http-error.ts';

/** A draft-07 JSON Schema that is also a valid OpenAPI 3.0 Schema Object (no `const`, no `$schema`). */
export type JsonSchema = Schema;

const validator = new Validator();

/** JSON Pointer of a jsonschema error's location (`/card/cin`); `''` for the whole document. */
function pointer(error: ValidationError): string {
  const segments = [...error.path];
  // `required` reports the parent; point at the missing member itself.
  if (error.name === 'required' && typeof error.argument === 'string') segments.push(error.argument);
  if (error.name === 'additionalProperties' && typeof error.argument === 'string') segments.push(error.argument);
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Validates `value`; returns the first error as an HttpError (400) or undefined when valid. */
export function checkSchema(value: unknown, schema: JsonSchema, code: HttpErrorCode = 'invalid_body', what = 'body'): HttpError | undefined {
  const result = validator.validate(value, schema, { nestedErrors: false });
  if (result.valid) return undefined;
  const first = result.errors[0]!;
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
