import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** The global fetch as the process started with it: a replaced one (msw in scenarios) takes every call. */
const startupFetch = globalThis.fetch;

const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 16 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };

/**
 * `fetch` for server-to-server calls whose answer is only a status (the outbox's notifications):
 * one `node:http(s)` request on keep-alive sockets, the response body read and dropped, and a
 * bodiless `Response` with the status. The global `fetch` (undici, web streams) cost the issuer ~1.5 ms
 * of CPU per notification. Anything but a string or URL with a string or absent body goes to the
 * global `fetch` unchanged, and so does every call once the global `fetch` was replaced (an
 * interceptor such as msw, which the scenarios' network faults use, must see these calls too).
 */
export const statusFetch: typeof fetch = async (input, init) => {
  const body = init?.body;
  if (globalThis.fetch !== startupFetch) return globalThis.fetch(input, init);
  if (!(typeof input === 'string' || input instanceof URL) || (body !== undefined && body !== null && typeof body !== 'string')) return fetch(input, init);
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fetch(input, init);
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
  const status = await new Promise<number>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: init?.method ?? 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'], ...(init?.signal ? { signal: init.signal } : {}) }, (res: IncomingMessage) => {
      res.on('error', reject);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.resume();
    });
    req.on('error', reject);
    req.end(typeof body === 'string' ? body : undefined);
  });
  // A Response may carry neither a body nor a status outside 200–599.
  return new Response(null, { status: status >= 200 && status <= 599 ? status : 502 });
};
