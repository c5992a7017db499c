import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../protocol/bytes.ts';
import { createIssuerApp, listen, SIGNATURE_HEADER, signBody } from '../../servers/index.ts';
import { ADMIN_TOKEN, cardReport, cardSigns, collate, http, INSTANCE_AID, provision, PROVIDER_ID, PROVIDER_SECRET, requestInstall, selectService, SERVICE_ID, startWorld, type World } from './support/world.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('authentication comes before the body is read', () => {
  it('answers an unauthenticated admin request 401 whatever its body: invalid, malformed or oversize', async () => {
    const w = (world = await startWorld());
    expect(await http(w.issuerUrl, '/admin/cardholders', { body: {} })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await http(w.issuerUrl, '/admin/cardholders', { raw: '{"name": ' })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await http(w.issuerUrl, '/admin/cards', { body: { cin: 5 }, token: 'wrong-token-of-same-len' })).toMatchObject({ status: 401 });
    // Above even the 1 MiB CAP limit, and not JSON at all: refused for the token, unread.
    const huge = '{"cap":"' + 'A'.repeat(2 * 1024 * 1024);
    expect(await http(w.issuerUrl, '/admin/applications', { raw: huge })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await http(w.providerUrl, '/admin/services', { raw: '[' })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    // Authenticated, the same bodies are judged on their merits.
    expect(await http(w.issuerUrl, '/admin/cardholders', { body: {}, token: ADMIN_TOKEN })).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    expect(await http(w.issuerUrl, '/admin/applications', { raw: huge, token: ADMIN_TOKEN })).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  });

  it('checks the notification HMAC on the raw bytes before parsing them', async () => {
    const w = (world = await startWorld());
    const malformed = '{"notificationId": ';
    expect(await http(w.providerUrl, '/notifications', { raw: malformed })).toMatchObject({ status: 401, body: { error: { code: 'bad_signature' } } });
    const forged = { [SIGNATURE_HEADER]: signBody(fromHex('00'.repeat(32)), malformed) };
    expect(await http(w.providerUrl, '/notifications', { raw: malformed, headers: forged })).toMatchObject({ status: 401, body: { error: { code: 'bad_signature' } } });
    // Signed by the issuer, a malformed body is the issuer's mistake: 400.
    const signed = { [SIGNATURE_HEADER]: signBody(fromHex(PROVIDER_SECRET), malformed) };
    expect(await http(w.providerUrl, '/notifications', { raw: malformed, headers: signed })).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
  });
});

describe('request timeouts', () => {
  /** Opens a socket, writes `text`, and resolves with how long the server took to close it (or `undefined` after `ms`). */
  function closedWithin(port: number, text: string, ms: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const start = Date.now();
      const socket = connect(port, '127.0.0.1', () => socket.write(text));
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, ms);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - start);
      });
    });
  }

  it('closes a connection whose headers or body do not arrive in time', async () => {
    const w = (world = await startWorld());
    const served = await listen(createIssuerApp(w.issuer.deps), 0, '127.0.0.1', { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 });
    try {
      expect(await closedWithin(served.port, 'POST /cards/collate HTTP/1.1\r\nHost: x\r\nContent-Type: appl', 5000)).toBeLessThan(3000);
      expect(await closedWithin(served.port, 'POST /cards/collate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cplc":', 5000)).toBeLessThan(3000);
    } finally {
      await served.close();
    }
  });

  it('sets header and request timeouts by default', async () => {
    const w = (world = await startWorld());
    const s = w.issuer.listening.server;
    expect(s.headersTimeout).toBeGreaterThan(0);
    expect(s.headersTimeout).toBeLessThanOrEqual(20_000);
    expect(s.requestTimeout).toBeGreaterThan(s.headersTimeout);
    expect(s.requestTimeout).toBeLessThanOrEqual(60_000);
    expect(s.keepAliveTimeout).toBeLessThan(s.headersTimeout);
  });
});

describe('no body is a server fault', () => {
  const reports: Array<[string, unknown]> = [
    ['localAgentStatus null', { localAgentStatus: null }],
    ['localAgentStatus 5', { localAgentStatus: 5 }],
    ['localAgentStatus "x"', { localAgentStatus: 'x' }],
    ['localAgentStatus true', { localAgentStatus: true }],
    ['localAgentStatus []', { localAgentStatus: [] }],
    ['ramResponses [null]', { localAgentStatus: { localAgentStatusEnum: 'PROCESSED' }, ramResponses: [null] }],
    ['ramResponses [5]', { localAgentStatus: { localAgentStatusEnum: 'PROCESSED' }, ramResponses: [5] }],
    ['listOfRAPDU [null]', { localAgentStatus: { localAgentStatusEnum: 'PROCESSED' }, ramResponses: [{ ramResponseType: 'seRamResponse', listOfRAPDU: [null] }] }],
  ];

  it.each(reports)('refuses a SERAM report with %s as 400 invalid_seram_message, without any login', async (_name, body) => {
    const w = (world = await startWorld());
    expect(await http(w.issuerUrl, '/gp/seram/remoteManagement?sessionId=nosuch', { body })).toMatchObject({ status: 400, body: { error: { code: 'invalid_seram_message' } } });
  });

  it('refuses a handshake whose secure element is null or not an object', async () => {
    const w = (world = await startWorld());
    for (const secureElements of [[null], [5], null]) {
      expect(await http(w.issuerUrl, '/gp/seram/handshake?sessionId=nosuch', { body: { secureElements } })).toMatchObject({ status: 400, body: { error: { code: 'invalid_seram_message' } } });
    }
  });

  it('refuses a bad report on a live session without harming it', async () => {
    const w = (world = await startWorld());
    await collate(w);
    const selection = (await selectService(w)).body;
    const install = (await requestInstall(w, selection, cardSigns(w.card, selection.encodedRequest))).body;
    expect((await http(install.remoteManagement.handshake, '', { body: { secureElements: [{ seType: 'eSE', seId: w.cin }] } })).status).toBe(200);
    for (const [, body] of reports) expect((await http(install.remoteManagement.remoteManagement, '', { body })).status).toBe(400);
    const first = await http(install.remoteManagement.remoteManagement, '', { body: { localAgentStatus: { localAgentStatusEnum: 'POLLING' } } });
    expect(first.status).toBe(200);
  });
});

/** Every JSON Pointer-ish path of a value: where a mutation may strike. */
function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const here = [at];
  if (Array.isArray(value)) return here.concat(value.flatMap((v, i) => paths(v, [...at, i])));
  if (value !== null && typeof value === 'object') return here.concat(Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k])));
  return here;
}

/** `value` with the node at `path` replaced by `replacement` (or removed, for `undefined` in an object). */
function mutate(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: any = structuredClone(value);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path[path.length - 1]!;
  if (replacement === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = replacement;
  return copy;
}

/** A valid body with one node replaced by arbitrary JSON (or dropped), or arbitrary JSON altogether. */
function bodies(sample: unknown): fc.Arbitrary<unknown> {
  const all = paths(sample);
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.nat({ max: all.length - 1 }), fc.option(fc.oneof(fc.constantFrom(null, 5, 'x', true, [], {}), fc.jsonValue({ maxDepth: 2 })), { nil: undefined })).map(([i, v]) => mutate(sample, all[i]!, v)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

describe('no body is a server fault (property)', () => {
  it('answers every issuer and provider route below 500 for valid bodies with one node replaced by arbitrary JSON', async () => {
    const w = (world = await startWorld());
    await collate(w);
    const selection = (await selectService(w)).body;
    const signed = cardSigns(w.card, selection.encodedRequest);
    const installBody = { request: selection.encodedRequest, signature: signed.signature, certificate: signed.certificate, providerId: selection.providerId, providerAuthorisation: selection.providerAuthorisation };
    const install = (await requestInstall(w, selection, signed)).body;
    const session = new URL(install.remoteManagement.handshake).search;
    expect((await http(install.remoteManagement.handshake, '', { body: { secureElements: [{ seType: 'eSE', seId: w.cin }] } })).status).toBe(200);
    const notification = {
      notificationId: 'n-1', event: 'application.installed', orderId: install.orderId, providerId: PROVIDER_ID, serviceId: SERVICE_ID,
      nonce: selection.request.nonce, cardId: w.cin, packageAid: selection.request.packageAid, instanceAid: INSTANCE_AID, confirmationCounter: 1,
    };
    type Target = { base: string; method: string; path: string; sample: unknown; headers?: (raw: string) => Record<string, string> };
    const admin = () => ({ authorization: `Bearer ${ADMIN_TOKEN}` });
    const targets: Target[] = [
      { base: w.issuerUrl, method: 'POST', path: '/cards/collate', sample: cardReport(w.card) },
      { base: w.issuerUrl, method: 'POST', path: '/install-requests', sample: installBody },
      { base: w.issuerUrl, method: 'POST', path: `/gp/seram/handshake${session}`, sample: { secureElements: [{ seType: 'eSE', seId: w.cin }], supportedVersions: ['2.0.0'] } },
      {
        base: w.issuerUrl, method: 'POST', path: `/gp/seram/remoteManagement${session}`,
        sample: { localAgentStatus: { localAgentStatusEnum: 'PROCESSED', executedSeRamCommands: 1 }, ramResponses: [{ ramResponseType: 'seRamResponse', listOfRAPDU: ['9000'] }] },
      },
      { base: w.issuerUrl, method: 'POST', path: '/admin/cardholders', sample: { name: 'A', address: 'B' }, headers: admin },
      { base: w.issuerUrl, method: 'PATCH', path: `/admin/cards/${w.cardId}`, sample: { status: 'active' }, headers: admin },
      { base: w.issuerUrl, method: 'POST', path: '/admin/providers', sample: { id: 'p2', name: 'P', notificationUrl: 'http://127.0.0.1:9/n', hmacSecret: PROVIDER_SECRET }, headers: admin },
      { base: w.providerUrl, method: 'POST', path: `/services/${SERVICE_ID}/select`, sample: { cardId: w.cin } },
      { base: w.providerUrl, method: 'POST', path: `/services/${SERVICE_ID}/start`, sample: { cardId: w.cin } },
      { base: w.providerUrl, method: 'POST', path: '/notifications', sample: notification, headers: (raw) => ({ [SIGNATURE_HEADER]: signBody(fromHex(PROVIDER_SECRET), raw) }) },
      { base: w.providerUrl, method: 'POST', path: '/admin/services', sample: { id: 's2', name: 'S', packageAid: 'F000000001', appletAid: 'F00000000101' }, headers: admin },
    ];
    // Every route with a body is a target (a route added later gets arbitrary JSON at least).
    for (const base of [w.issuerUrl, w.providerUrl]) {
      const doc = (await http(base, '/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const concrete = path.replace('{serviceId}', SERVICE_ID).replace('{cardId}', w.cardId);
          if (op.requestBody && !targets.some((t) => t.base === base && t.method === method.toUpperCase() && t.path.split('?')[0] === concrete)) {
            targets.push({ base, method: method.toUpperCase(), path: concrete, sample: {}, headers: admin });
          }
        }
      }
    }
    for (const t of targets) {
      await fc.assert(
        fc.asyncProperty(bodies(t.sample), async (body) => {
          const raw = JSON.stringify(body) ?? 'null';
          const r = await http(t.base, t.path, { method: t.method, raw, headers: t.headers?.(raw) ?? {} });
          if (r.status >= 500) throw new Error(`${t.method} ${t.path} ${raw} → ${r.status} ${JSON.stringify(r.body)}`);
        }),
        { numRuns: 40, seed: 20261130 },
      );
    }
  });
});

describe('logs', () => {
  it('keep the logger name and never show a SERAM sessionId through a whole provisioning at debug level', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const w = (world = await startWorld({ logStream: stream }));
    const { install } = await provision(w);
    const sessionId = new URL(install.remoteManagement.handshake).searchParams.get('sessionId')!;
    expect(sessionId.length).toBeGreaterThan(8);
    expect(text).not.toContain(sessionId);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) expect(line.name).toBe('test');
    expect(text).not.toMatch(/^\{[^{]*"name":"\[redacted\]"/m);
    // A cardholder's name inside a logged object is still blanked.
    w.issuer.deps.logger.info({ cardholder: { name: 'Ada Lovelace' }, name: 'Ada Lovelace' }, 'by mistake');
    expect(text).not.toContain('Ada Lovelace');
  });

  it('are one line per request at info through a whole provisioning, with the handlers\' ids on it', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const w = (world = await startWorld({ logStream: stream, logLevel: 'info' }));
    const from = text.length;
    await provision(w);
    const lines = text.slice(from).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(7);
    expect(lines.filter((l) => l.msg !== 'request')).toEqual([]);
    const install = lines.find((l) => l.path === '/install-requests')!;
    expect(install).toMatchObject({ status: 201, outcome: 'authorised' });
    expect(typeof install.orderId).toBe('string');
  });
});
