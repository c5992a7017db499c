import { request, Agent } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { listen } from './index.ts';

describe('listen', () => {
  it("keeps a connection for a Node client's next request (undici and http.Agent take a second off the keep-alive hint)", async () => {
    const ports: number[] = [];
    const app = express();
    app.post('/n', (req, res) => {
      ports.push(req.socket.remotePort!);
      res.json({});
    });
    const served = await listen(app);
    const agent = new Agent({ keepAlive: true });
    try {
      for (let i = 0; i < 4; i++) await (await fetch(`${served.url}/n`, { method: 'POST', body: '{}' })).text();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const r = request(new URL(`${served.url}/n`), { method: 'POST', agent }, (res) => {
            res.on('end', () => resolve());
            res.resume();
          });
          r.on('error', reject);
          r.end();
        });
      }
    } finally {
      agent.destroy();
      await served.close();
    }
    // undici may open a second connection while the first is being released; never one per request.
    expect(new Set(ports.slice(0, 4)).size).toBeLessThanOrEqual(2);
    expect(new Set(ports.slice(4)).size).toBe(1);
  });
});
