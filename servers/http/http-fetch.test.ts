import express from 'express';
import { describe, expect, it } from 'vitest';
import { listen, statusFetch } from './index.ts';

describe('statusFetch (server-to-server calls that need only a status)', () => {
  it('sends method, headers and body, answers the status with no body, and reuses its connection', async () => {
    const seen: Array<{ method: string; type?: string; key?: string; body: string; port: number }> = [];
    const app = express();
    app.use(express.text({ type: '*/*' }));
    app.all('/n', (req, res) => {
      seen.push({ method: req.method, type: req.get('content-type'), key: req.get('idempotency-key'), body: req.body as string, port: req.socket.remotePort! });
      res.status(seen.length === 1 ? 200 : 409).json({ some: 'answer' });
    });
    const served = await listen(app);
    try {
      const init = { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: '{"a":"é"}' };
      const first = await statusFetch(`${served.url}/n`, init);
      expect(first.status).toBe(200);
      expect((await first.arrayBuffer()).byteLength).toBe(0);
      expect((await statusFetch(new URL(`${served.url}/n`), init)).status).toBe(409);
      expect(seen).toEqual([
        { method: 'POST', type: 'application/json', key: 'k-1', body: '{"a":"é"}', port: seen[0]!.port },
        { method: 'POST', type: 'application/json', key: 'k-1', body: '{"a":"é"}', port: seen[0]!.port },
      ]);
    } finally {
      await served.close();
    }
  });

  it('rejects when nobody answers in time or nobody listens, as fetch does', async () => {
    const app = express();
    app.post('/slow', () => undefined);
    const served = await listen(app);
    try {
      await expect(statusFetch(`${served.url}/slow`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) })).rejects.toThrow();
    } finally {
      served.server.closeAllConnections();
      await served.close();
    }
    await expect(statusFetch(`${served.url}/slow`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });

  it('leaves every call to a replaced global fetch (an interceptor such as msw sees it)', async () => {
    const original = globalThis.fetch;
    const calls: string[] = [];
    globalThis.fetch = (async (input: string | URL | Request) => {
      calls.push(String(input));
      return new Response(null, { status: 503 });
    }) as typeof fetch;
    try {
      expect((await statusFetch('http://127.0.0.1:9/notifications', { method: 'POST', body: '{}' })).status).toBe(503);
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toEqual(['http://127.0.0.1:9/notifications']);
  });
});
