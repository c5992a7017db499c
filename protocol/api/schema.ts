/**
 * JSON Schema (draft-07, also an OpenAPI 3.0 Schema Object: no `const`, no `$schema`) as plain data,
 * so the HTTP contract lives in protocol/ with no dependency: servers validate with it, clients type
 * their calls with the TypeScript types declared beside each schema.
 */
export interface ApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, ApiSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: ApiSchema;
  minItems?: number;
  maxItems?: number;
  enum?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

/** Hex of `min` to `max` bytes (either case). */
export const hexSchema = (min = 0, max = 1 << 20, description?: string): ApiSchema => ({
  type: 'string',
  pattern: '^([0-9A-Fa-f]{2})*$',
  minLength: min * 2,
  maxLength: max * 2,
  ...(description ? { description } : {}),
});
/** An AID, 5 to 16 bytes in hex (ISO/IEC 7816-5). */
export const aidSchema: ApiSchema = { type: 'string', pattern: '^([0-9A-Fa-f]{2}){5,16}$', description: 'AID, 5 to 16 bytes in hex' };
/** An identifier of ours (order, notification, start). */
export const idSchema: ApiSchema = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };
/** An R-APDU or C-APDU in hex: at least the two-byte status word or header. */
export const apduSchema = (min: number, max: number): ApiSchema => hexSchema(min, max);
