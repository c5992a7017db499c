import { PassThrough } from 'node:stream';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { annotateRequestLog, createLogger, listen, requestLog } from './index.ts';

function capture() {
  const stream = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  stream.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  return { stream, lines };
}

describe('server logs', () => {
  it("keep the logger's own name and drop a logged object's top-level name and address; nested ones are redacted", () => {
    const { stream, lines } = capture();
    const logger = createLogger({ name: 'issuer', level: 'debug', destination: stream });
    logger.info({ name: 'Ada Lovelace', address: '12 St James Square', holder: { name: 'Ada Lovelace' }, cardId: 'c-1' }, 'by mistake');
    stream.end();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'issuer', cardId: 'c-1', holder: { name: '[redacted]' }, redacted: ['name', 'address'] });
    expect(JSON.stringify(lines)).not.toContain('Ada');
    expect(JSON.stringify(lines)).not.toContain('James');
  });

  it('write one line per request, with what the handler annotated, its sessionId redacted', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ name: 'issuer', level: 'info', destination: stream });
    const app = express();
    app.use(requestLog(logger));
    app.post('/x', (_req, res) => {
      annotateRequestLog(res, { orderId: 'o-1', sessionId: 'secret-session' });
      res.status(201).json({});
    });
    const served = await listen(app);
    try {
      expect((await fetch(`${served.url}/x?sessionId=secret-session`, { method: 'POST' })).status).toBe(201);
    } finally {
      await served.close();
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual([expect.objectContaining({ name: 'issuer', method: 'POST', path: '/x', status: 201, orderId: 'o-1', sessionId: '[redacted]', msg: 'request' })]);
    expect(JSON.stringify(lines)).not.toContain('secret-session');
  });
});
