import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { loadCard } from '../../simulator/index.ts';
import { runLocalAgent, seramLogErrors } from './support/local-agent.ts';
import { cardReport, cardSigns, http } from './support/world.ts';

const BIN = resolve(import.meta.dirname, '../../bin/cardlab.js');
const dataDir = mkdtempSync(join(tmpdir(), 'cardlab-serve-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `cardlab serve` and resolves with its four ready lines. */
function serve(extra: string[] = ['--log-level', 'silent']): Promise<{ child: ChildProcess; lines: Record<string, string>; stderr: () => string }> {
  // Ports chosen at run time (the stable defaults 7410/7411 are for people).
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--issuer-port', '0', '--provider-port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CARDLAB_OWNER_PID: String(process.pid) } });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((done, fail) => {
    const lines: Record<string, string> = {};
    const timer = setTimeout(() => fail(new Error('cardlab serve did not get ready in 20 s')), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^(issuer|provider|card|service): (.+)$/.exec(line);
      if (m) lines[m[1]!] = m[2]!;
      if (Object.keys(lines).length === 4) {
        clearTimeout(timer);
        done({ child, lines, stderr: () => stderr });
      }
    });
    child.on('exit', (code) => fail(new Error(`cardlab serve exited with ${code}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => done(code));
    child.kill('SIGTERM');
  });
}

describe('cardlab serve', () => {
  it('prints its URLs, demo card and service; provisions the demo card end to end; stops cleanly; keeps its data across restarts', async () => {
    const first = await serve();
    const { issuer, provider, card: cardPath, service } = first.lines;
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(provider).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(service).toBe('loyalty');
    expect(statSync(cardPath!).isFile()).toBe(true);
    expect(statSync(join(dataDir, 'issuer', 'keys', 'issuer-ca-key.json')).mode & 0o777).toBe(0o600);
    expect((await http(provider!, '/services')).body.services.map((s: { serviceId: string }) => s.serviceId)).toEqual(['loyalty', 'echo']);
    expect(await stop(first.child)).toBe(0);

    // Second start: new ports, same data; the provider's notification URL follows it.
    const second = await serve();
    try {
      const { issuer: iss, provider: prov } = second.lines;
      expect(second.lines.card).toBe(cardPath);
      const card = loadCard(cardPath!);
      card.powerOn();
      const report = cardReport(card);
      const collated = await http(iss!, '/cards/collate', { body: report });
      expect(collated.status).toBe(200);
      const cin = report.cin.slice(4); // 45 L <CIN>
      const selection = (await http(prov!, `/services/${service}/select`, { body: { cardId: cin } })).body;
      const signed = cardSigns(card, selection.encodedRequest);
      const install = await http(iss!, '/install-requests', {
        body: { request: selection.encodedRequest, ...signed, providerId: selection.providerId, providerAuthorisation: selection.providerAuthorisation },
      });
      expect(install.status).toBe(201);
      card.transmit(buildSelect());
      const session = await runLocalAgent({
        handshakeUrl: install.body.remoteManagement.handshake,
        remoteManagementUrl: install.body.remoteManagement.remoteManagement,
        seId: cin,
        transmit: (c) => card.transmit(c),
      });
      expect(seramLogErrors(session.log)).toEqual([]);
      expect(session.notifications).toEqual([`install/${install.body.orderId}/confirmed`]);
      // The running outbox worker tells the provider; the card then signs a start request and the service starts.
      let startRequest = await http(prov!, `/services/${service}/start-requests`, { body: { cardId: cin } });
      for (let i = 0; i < 100 && startRequest.status === 409; i++) {
        await new Promise((r) => setTimeout(r, 20));
        startRequest = await http(prov!, `/services/${service}/start-requests`, { body: { cardId: cin } });
      }
      expect(startRequest.status).toBe(201);
      const request = startRequest.body.encodedRequest as string;
      const start = await http(prov!, `/services/${service}/start`, { body: { request, signature: cardSigns(card, request).signature } });
      expect(start).toMatchObject({ status: 200, body: { state: 'starting' } });
      const answers = (start.body.commands as string[]).map((c) => toHex(card.transmit(Buffer.from(c, 'hex'))));
      expect(answers.at(-1)).toBe('0000006400019000');
      expect(await http(prov!, `/services/${service}/start/ack`, { body: { startId: start.body.startId, responses: answers } })).toMatchObject({ status: 200, body: { state: 'active' } });
    } finally {
      expect(await stop(second.child)).toBe(0);
    }

    // At rest: every directory 0700, every file holding keys or personal data 0600 (the CAPs and the
    // demo's index are neither), and no key of the card in clear anywhere in the data directory.
    const wrong: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const rel = relative(dataDir, path);
        const mode = statSync(path).mode & 0o777;
        if (statSync(path).isDirectory()) {
          if (rel !== 'caps' && mode !== 0o700) wrong.push(`${rel}/ ${mode.toString(8)}`);
          walk(path);
        } else if (!rel.startsWith('caps/') && rel !== 'demo.json' && mode !== 0o600) wrong.push(`${rel} ${mode.toString(8)}`);
      }
    };
    walk(dataDir);
    expect(wrong).toEqual([]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    // The admin token and the provider secret are sealed, not written as fields.
    expect(Object.keys(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')))).toEqual(['sealed']);
    const keys = loadCard(cardPath!).keyset()!;
    // The demo card holds its own ISD keys, derived by the issuer, not the well-known test keys.
    expect(toHex(keys.enc)).not.toBe('404142434445464748494A4B4C4D4E4F');
    for (const f of ['issuer/issuer.db', 'provider/provider.db', 'demo-card.json', 'secrets.json']) {
      const bytes = readFileSync(join(dataDir, f));
      for (const k of [keys.enc, keys.mac, keys.dek]) {
        expect(bytes.includes(Buffer.from(k))).toBe(false);
        expect(bytes.toString('latin1').toUpperCase().includes(toHex(k))).toBe(false);
      }
    }
  });
});

describe('cardlab serve: health and logs', () => {
  it('answers GET /healthz on both servers, logs JSON lines off a terminal without redacting its own name, and logs its shutdown', async () => {
    const run = await serve(['--log-level', 'info']);
    for (const url of [run.lines.issuer!, run.lines.provider!]) {
      const r = await fetch(`${url}/healthz`);
      expect([r.status, await r.json()]).toEqual([200, { status: 'ok', database: 'ok' }]);
    }
    expect(await stop(run.child)).toBe(0);
    const lines = run.stderr().trim().split('\n').map((l) => JSON.parse(l) as { name?: string; msg?: string });
    expect(lines.every((l) => l.name === 'cardlab')).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^shutting down/), 'stopped']));
  });

  it('--log-format pretty writes one readable line per entry, not JSON', async () => {
    const run = await serve(['--log-level', 'info', '--log-format', 'pretty']);
    await fetch(`${run.lines.issuer!}/services`).catch(() => undefined);
    expect(await stop(run.child)).toBe(0);
    const text = run.stderr();
    expect(text).toMatch(/INFO.*shutting down/);
    expect(text.trim().split('\n').some((l) => l.startsWith('{'))).toBe(false);
  });
});

describe('cardlab serve: owner watchdog', () => {
  it('stops by itself, logging its shutdown, once the process named by CARDLAB_OWNER_PID is gone (even SIGKILLed)', async () => {
    // The owner: a process of our own that we SIGKILL.
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--issuer-port', '0', '--provider-port', '0', '--log-level', 'info', '--log-format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CARDLAB_OWNER_PID: String(owner.pid) },
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error('cardlab serve did not get ready in 20 s')), 20_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('service: ')) {
          clearTimeout(timer);
          ready();
        }
      });
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    owner.kill('SIGKILL');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/shutting down/);
  }, 40_000);
});
