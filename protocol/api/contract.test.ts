import { describe, expect, it } from 'vitest';
import * as api from './index.ts';
import type { ApiSchema } from './schema.ts';

const schemas = Object.entries(api).filter((e): e is [string, ApiSchema] => typeof e[1] === 'object' && e[1] !== null && 'type' in e[1]);

describe('protocol/api: the HTTP contract as data', () => {
  it('closes every request body (additionalProperties: false), the issuer-signed notification excepted', () => {
    const bodies = schemas.filter(([name]) => name.endsWith('_BODY'));
    expect(bodies.map(([name]) => name)).toEqual(expect.arrayContaining(['START_REQUEST_BODY', 'START_SERVICE_BODY', 'ACKNOWLEDGE_START_BODY', 'SELECT_SERVICE_BODY', 'REGISTER_SERVICE_BODY']));
    for (const [name, schema] of bodies) expect({ name, additionalProperties: schema.additionalProperties }).toEqual({ name, additionalProperties: false });
    expect(api.MEMBER_NOTIFICATION.additionalProperties).toBeUndefined();
  });

  it('requires every property a body declares as required to exist in its properties', () => {
    for (const [name, schema] of schemas) {
      for (const field of schema.required ?? []) expect({ name, field, declared: field in (schema.properties ?? {}) }).toEqual({ name, field, declared: true });
    }
  });
});
