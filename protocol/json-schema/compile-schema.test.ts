import fc from 'fast-check';
import { Validator } from 'jsonschema';
import { describe, expect, it } from 'vitest';
import { loadSeramSchemas, strictOpenApiSchema } from '../seram/seram-schema.ts';
import { compileSchema, type Schema } from './compile-schema.ts';

const HEX = (min: number, max: number) => ({ type: 'string', pattern: '^([0-9A-Fa-f]{2})*$', minLength: min * 2, maxLength: max * 2 });
const AID = { type: 'string', pattern: '^([0-9A-Fa-f]{2}){5,16}$', description: 'AID' };

/** Schemas shaped like the servers' bodies: every keyword the compiler implements. */
const BODIES: Record<string, { schema: Record<string, unknown>; sample: unknown }> = {
  card: {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['cardholderId', 'cin', 'keys'],
      properties: {
        cardholderId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
        cin: HEX(1, 16),
        isdAid: AID,
        keys: { type: 'object', additionalProperties: false, required: ['kvn', 'enc'], properties: { kvn: { type: 'integer', minimum: 1, maximum: 127 }, enc: HEX(16, 16) } },
        curve: { type: 'string', enum: ['P-256', 'brainpoolP256r1'] },
        startCommands: { type: 'array', maxItems: 3, minItems: 1, items: HEX(4, 8) },
        name: { type: 'string', minLength: 1, maxLength: 4 },
        extra: { type: ['string', 'null'] },
      },
    },
    sample: { cardholderId: 'h-1', cin: '0102', isdAid: 'A000000151', keys: { kvn: 48, enc: '40'.repeat(16) }, curve: 'P-256', startCommands: ['00A40400'], name: 'Ada', extra: null },
  },
};

const validator = new Validator();

/** The first error of the `jsonschema` package, as path + keyword (allOf wrappers dropped, as seram-schema does). */
function reference(value: unknown, schema: Schema): string | undefined {
  const result = validator.validate(value, schema as never, { nestedErrors: false });
  if (result.valid) return undefined;
  const precise = result.errors.filter((e) => e.name !== 'allOf');
  const e = (precise.length > 0 ? precise : result.errors)[0]!;
  return `${e.path.join('/')} ${e.name}${(e.name === 'required' || e.name === 'additionalProperties') && typeof e.argument === 'string' ? ` ${e.argument}` : ''}`;
}

function ours(value: unknown, compiled: ReturnType<typeof compileSchema>): string | undefined {
  const f = compiled(value);
  return f === undefined ? undefined : `${f.path.join('/')} ${f.keyword}${f.argument !== undefined ? ` ${f.argument}` : ''}`;
}

/** jsonschema takes a property named like one of Object.prototype's (valueOf, constructor) for a declared one: values with such keys are left out. */
function hasPrototypeKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasPrototypeKey);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => k in {} || hasPrototypeKey(v));
  return false;
}

function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (value !== null && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  return [at];
}

function mutated(sample: unknown): fc.Arbitrary<unknown> {
  const all = paths(sample);
  const replacement = fc.oneof(fc.constantFrom(null, 0, 1.5, -1, 200, '', 'x', 'ABCD', 'abcd', '😀😀', true, [], {}, ['00A40400'], { kvn: 1 }), fc.jsonValue({ maxDepth: 2 }));
  return fc.tuple(fc.nat({ max: all.length - 1 }), fc.option(replacement, { nil: undefined }), fc.option(
      fc.tuple(
        fc.string({ maxLength: 4 }).filter((k) => !(k in {})),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      { nil: undefined },
    )).map(([i, v, extra]) => {
    const path = all[i]!;
    let copy: any = structuredClone(sample);
    if (path.length === 0) copy = v === undefined ? copy : v;
    else {
      let node = copy;
      for (const k of path.slice(0, -1)) node = node[k];
      const last = path[path.length - 1]!;
      if (v === undefined && !Array.isArray(node)) delete node[last];
      else node[last] = v;
    }
    if (extra && copy !== null && typeof copy === 'object' && !Array.isArray(copy)) copy[extra[0]] = extra[1];
    // What a request can carry: JSON (an `undefined` array item is `null` on the wire).
    return copy === undefined ? copy : JSON.parse(JSON.stringify(copy));
  });
}

describe('compileSchema', () => {
  it('gives the jsonschema package\'s verdict on bodies shaped like the servers\', and its first error where there is only one', () => {
    for (const { schema, sample } of Object.values(BODIES)) {
      const compiled = compileSchema(schema);
      expect(ours(sample, compiled)).toBeUndefined();
      fc.assert(fc.property(fc.oneof(mutated(sample), fc.jsonValue()).filter((v) => !hasPrototypeKey(v)), (value) => {
        const all = validator.validate(value, schema as never, { nestedErrors: false }).errors;
        expect(ours(value, compiled) === undefined).toBe(all.length === 0);
        if (all.length === 1) expect(ours(value, compiled)).toBe(reference(value, schema));
      }), { numRuns: 3000 });
    }
  });

  it('says where and why in the servers\' words', () => {
    const body = BODIES.card!.schema;
    const v = compileSchema(body);
    expect(v({ cardholderId: 'h', keys: { kvn: 1, enc: '40'.repeat(16) } })).toEqual({ path: [], keyword: 'required', argument: 'cin', message: 'requires property "cin"' });
    expect(v({ ...(BODIES.card!.sample as object), cin: 'XY' })).toMatchObject({ path: ['cin'], message: 'does not match pattern "^([0-9A-Fa-f]{2})*$"' });
    expect(v({ ...(BODIES.card!.sample as object), startCommands: ['00A40400', 12] })).toMatchObject({ path: ['startCommands', 1], message: 'is not of a type(s) string' });
    expect(v({ ...(BODIES.card!.sample as object), more: 1 })).toMatchObject({ path: [], keyword: 'additionalProperties', argument: 'more' });
  });

  it('gives the jsonschema package\'s verdict on every GP SERAM message schema (strict OpenAPI reading)', () => {
    const definitions = Object.fromEntries(
      Object.entries(JSON.parse(JSON.stringify(loadSeramSchemas()).replaceAll('#/components/schemas/', '#/definitions/'))).map(([k, v]) => [k, strictOpenApiSchema(v)]),
    ) as Record<string, Schema>;
    const samples: Record<string, unknown> = {
      remoteManagementReport: { localAgentStatus: { localAgentStatusEnum: 'PROCESSED', executedSeRamCommands: 2, errorMsg: 'x' }, ramResponses: [{ ramResponseType: 'seRamResponse', listOfRAPDU: ['9000', ''] }] },
      ramHandshakeCommand: { secureElements: [{ seType: 'eSE', seId: '0102', seExtraInfo: 'SAM' }], supportedTransportProtocols: ['HTTPS'], supportedDataFormats: ['application/json'], supportedVersions: ['2.0.0'] },
      remoteManagementOrder: { delay: 0, chosenSecureElement: { seType: 'eSE', seId: '01' }, ramCommands: [{ ramCommandType: 'seRamCommand', listOfCAPDU: ['00A40400'] }, { ramCommandType: 'notificationCommand', deviceAppNotification: 'a/b' }] },
      ramHandshakeResponse: { chosenTransportProtocol: 'HTTPS', chosenDataFormat: 'application/json', chosenVersion: '2.0.0' },
      seRamCommand: { ramCommandType: 'seRamCommand', listOfCAPDU: ['00A40400'] },
      seRamResponse: { ramResponseType: 'seRamResponse', listOfRAPDU: ['9000'] },
    };
    for (const [name, sample] of Object.entries(samples)) {
      const schema = { definitions, $ref: `#/definitions/${name}` };
      const compiled = compileSchema({ $ref: `#/definitions/${name}` }, definitions);
      expect(ours(sample, compiled)).toBeUndefined();
      fc.assert(fc.property(fc.oneof(mutated(sample), fc.jsonValue()).filter((v) => !hasPrototypeKey(v)), (value) => {
        expect(ours(value, compiled) === undefined).toBe(reference(value, schema) === undefined);
      }), { numRuns: 2000 });
    }
  });

  it('refuses to compile a keyword it does not implement, rather than not checking it', () => {
    expect(() => compileSchema({ type: 'string', format: 'email' })).toThrow(/format/);
    expect(() => compileSchema({ oneOf: [{ type: 'string' }] })).toThrow(/oneOf/);
    expect(() => compileSchema({ $ref: '#/definitions/nowhere' })).toThrow(/nowhere/);
  });

  it('counts string lengths in code points, as JSON Schema does', () => {
    const v = compileSchema({ type: 'string', minLength: 2, maxLength: 2 });
    expect(v('😀😀')).toBeUndefined();
    expect(v('😀')?.keyword).toBe('minLength');
    expect(v('😀😀😀')?.keyword).toBe('maxLength');
  });
});
