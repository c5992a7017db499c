import express from 'express';
import { describe, expect, it } from 'vitest';
import { ApiRouter, bearerTokenScheme, bodySignatureScheme, errorHandler, createLogger, listen, signBody, SIGNATURE_HEADER } from './index.ts';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i);

async function serve(api: ApiRouter) {
  const app = express();
  app.use(api.router);
  app.use(errorHandler(createLogger({ name: 't', level: 'silent' })));
  return listen(app);
}

describe('ApiRouter security schemes', () => {
  it('refuses to register a route whose scheme it does not know (a misspelt scheme never leaves a route open)', () => {
    const api = new ApiRouter({ securitySchemes: { adminToken: bearerTokenScheme('t') } });
    expect(() => api.route({ method: 'get', path: '/x', operationId: 'x', summary: 'x', tags: [], security: 'admintoken', responses: {} }, (_req, res) => void res.json({}))).toThrow(/admintoken/);
  });

  it('checks a body signature even on a route that takes no body, and documents every scheme it was given', async () => {
    const api = new ApiRouter({ securitySchemes: { issuerHmac: bodySignatureScheme(() => SECRET), adminToken: bearerTokenScheme('t') } });
    api.route({ method: 'post', path: '/ping', operationId: 'ping', summary: 'ping', tags: [], security: 'issuerHmac', responses: {} }, (_req, res) => void res.json({ ok: true }));
    const served = await serve(api);
    try {
      const post = (headers: Record<string, string>, body = '') => fetch(`${served.url}/ping`, { method: 'POST', headers, body });
      expect((await post({})).status).toBe(401);
      expect((await post({ [SIGNATURE_HEADER]: signBody(new Uint8Array(32), '') })).status).toBe(401);
      expect((await post({ [SIGNATURE_HEADER]: signBody(SECRET, '') }, 'x')).status).toBe(401);
      expect((await post({ [SIGNATURE_HEADER]: signBody(SECRET, '') })).status).toBe(200);
    } finally {
      await served.close();
    }
    const doc = api.openApi({ title: 't', version: '1' }) as { components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown }>> };
    expect(doc.components.securitySchemes).toEqual({ issuerHmac: { type: 'apiKey', in: 'header', name: SIGNATURE_HEADER }, adminToken: { type: 'http', scheme: 'bearer' } });
    expect(doc.paths['/ping']!.post!.security).toEqual([{ issuerHmac: [] }]);
  });

  it('refuses to register a route whose security scheme is not configured (fail closed)', () => {
    expect(() => new ApiRouter().route({ method: 'get', path: '/x', operationId: 'x', summary: 'x', tags: [], security: 'adminToken', responses: {} }, (_q, r) => void r.end())).toThrow(
      /no security scheme 'adminToken'/,
    );
  });

  it('reads a body up to the route\'s own limit and no further (413 unread above it)', async () => {
    const api = new ApiRouter();
    const body = { type: 'object', properties: { pad: { type: 'string' } } };
    api.route({ method: 'post', path: '/small', operationId: 's', summary: 's', tags: [], body, bodyLimit: 100, responses: {} }, (req, res) => void res.json({ got: (req.body as { pad: string }).pad.length }));
    const served = await serve(api);
    try {
      const send = (n: number) => fetch(`${served.url}/small`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(n) }) });
      expect(await (await send(80)).json()).toEqual({ got: 80 });
      const big = await send(200);
      expect(big.status).toBe(413);
      expect(big.headers.get('connection')).toBe('close');
    } finally {
      await served.close();
    }
  });
});
