import { describe, it, expect } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../protocol/bytes.ts';
import { buildGetData } from '../../protocol/gp/commands/index.ts';
import { createLogger, ensureDemoData, startServers } from '../../servers/index.ts';
import { loadCard } from '../../simulator/index.ts';
import { newDemoCard } from '../../scenarios/env/demo-card.ts';
import { demoServices } from '../../scenarios/env/demo-services.ts';
import { runScenario } from '../../scenarios/run-scenario.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runCardlab } from '../support/cardlab-cli.ts';


const cardlab = runCardlab;

/** An issuer and a provider of the user's own, as `cardlab serve` runs them (demo services registered), in this process. */
async function ownIssuer(dir: string) {
  const dataDir = join(dir, 'issuer-data');
  const servers = await startServers({ dataDir, issuerPort: 0, providerPort: 0, logger: createLogger({ name: 'test', level: 'silent' }) });
  await ensureDemoData(servers, dataDir, { card: (dap) => newDemoCard(dap, 'enrolment-test'), services: demoServices() });
  const admin = async (path: string, body: string) => {
    const r = await fetch(`${servers.issuerUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${servers.secrets.adminToken}` }, body });
    return { status: r.status, body: (await r.json()) as any };
  };
  return { servers, admin };
}

describe('enrolling a simulated card into an issuer named by URL (cardlab card describe / personalise)', () => {
  it('the description is the body POST /admin/cards takes; personalised with the answer, the card provisions against that issuer', async () => {
    const dir = tempDir('cardlab-enrol-');
    const { servers, admin } = await ownIssuer(dir);
    try {
      expect((await cardlab(dir, 'card', 'new', '--seed', '11', '-o', 'card.json')).code).toBe(0);
      const holder = await admin('/admin/cardholders', JSON.stringify({ name: 'Ada Lovelace', address: '12 St James Square, London' }));
      expect(holder.status).toBe(201);
      const described = await cardlab(dir, 'card', 'describe', '--card', 'card.json', '--cardholder', holder.body.cardholderId, '-o', 'card-description.json');
      expect(described.code, described.stderr).toBe(0);
      const text = readFileSync(join(dir, 'card-description.json'), 'utf8');
      const description = JSON.parse(text);
      expect(Object.keys(description).sort()).toEqual(['cardPublicKey', 'cardholderId', 'cin', 'curve', 'icSerial', 'iin', 'isdAid']);
      // What `curl -d @card-description.json` sends: the file's bytes as they are.
      const registered = await admin('/admin/cards', text);
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      expect(registered.body.keys.kvn).toBe(0x30);
      writeFileSync(join(dir, 'registration.json'), JSON.stringify(registered.body));
      const personalised = await cardlab(dir, 'card', 'personalise', '--card', 'card.json', '--registration', 'registration.json');
      expect(personalised.code, personalised.stderr).toBe(0);
      expect(personalised.stdout).toMatch(/certificate installed .*ISD keys of version 30 installed/);

      const card = loadCard(join(dir, 'card.json'));
      card.powerOn();
      // The certificate is there (6A88 without it); longer than one response, it comes with GET RESPONSE (61xx).
      expect(toHex(card.transmit(buildGetData(0x7f21)).subarray(-2))).toMatch(/^(9000|61..)$/);
      expect(toHex(card.keyset()!.enc)).toBe(registered.body.keys.enc.toUpperCase());

      writeFileSync(
        join(dir, 'own-issuer.yaml'),
        [
          'name: provisioning against my own issuer',
          `servers: { issuer: "${servers.issuerUrl}", provider: "${servers.providerUrl}" }`,
          'card: { image: card.json }',
          'steps:',
          '  - provision: { service: loyalty }',
          '  - assert: { card: { applications: ["F0434152444C01"] } }',
        ].join('\n'),
      );
      const r = await runScenario(join(dir, 'own-issuer.yaml'));
      expect(r.status, r.failure?.message).toBe('passed');
    } finally {
      await servers.close();
    }
  });

  it('--with-keys adds the ISD keys (the issuer keeps them) and writes the file 0600; without --cardholder it is a usage error', async () => {
    const dir = tempDir('cardlab-enrol-keys-');
    const { servers, admin } = await ownIssuer(dir);
    try {
      await cardlab(dir, 'card', 'new', '--seed', '12', '-o', 'card.json');
      const holder = await admin('/admin/cardholders', JSON.stringify({ name: 'Alan Turing', address: 'Bletchley Park' }));
      const described = await cardlab(dir, 'card', 'describe', '--card', 'card.json', '--cardholder', holder.body.cardholderId, '--with-keys', '-o', 'with-keys.json');
      expect(described.code, described.stderr).toBe(0);
      expect(statSync(join(dir, 'with-keys.json')).mode & 0o777).toBe(0o600);
      const description = JSON.parse(readFileSync(join(dir, 'with-keys.json'), 'utf8'));
      expect(description.keys).toEqual({ kvn: 0x30, enc: '404142434445464748494A4B4C4D4E4F', mac: '404142434445464748494A4B4C4D4E4F', dek: '404142434445464748494A4B4C4D4E4F' });
      const registered = await admin('/admin/cards', readFileSync(join(dir, 'with-keys.json'), 'utf8'));
      expect(registered.status).toBe(201);
      expect(registered.body.keys).toBeUndefined();
      // Printed without -o, the description has no keys unless asked.
      const printed = await cardlab(dir, 'card', 'describe', '--card', 'card.json', '--cardholder', 'x');
      expect(JSON.parse(printed.stdout).keys).toBeUndefined();
      const noHolder = await cardlab(dir, 'card', 'describe', '--card', 'card.json');
      expect(noHolder.code).toBe(2);
      expect(noHolder.stderr).toMatch(/--cardholder/);
    } finally {
      await servers.close();
    }
  });
});
