import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildCap } from '../../protocol/cap/index.ts';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { buildCardResources } from '../../protocol/gp/data/index.ts';
import { createIssuerCa, issueCardCertificate } from '../../protocol/pki/index.ts';
import { signBody, SIGNATURE_HEADER } from '../../servers/index.ts';
import { seramLogErrors } from './support/local-agent.ts';
import {
  ADMIN_TOKEN,
  cardReport,
  cardSigns,
  collate,
  dump,
  http,
  PROVIDER_SECRET,
  remoteManagement,
  requestInstall,
  selectService,
  SERVICE_ID,
  startWorld,
  type World,
} from './support/world.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Runs `fn` and checks that neither database changed. */
async function unchanged<T>(w: World, fn: () => Promise<T>): Promise<T> {
  const before = [dump(w.issuer.store), dump(w.provider.store)];
  const out = await fn();
  expect([dump(w.issuer.store), dump(w.provider.store)]).toEqual(before);
  return out;
}

/** A collated card and a signed request, ready for S8. */
async function signedRequest(w: World) {
  expect((await collate(w)).status).toBe(200);
  const selection = (await selectService(w)).body;
  return { selection, signed: cardSigns(w.card, selection.encodedRequest) };
}

describe('card collation refusals (S1–S3): the form only (who the card is, is decided at S9)', () => {
  it('refuses unparsable card data (400 invalid_card_data) and bodies that break the schema (400 invalid_body with a path)', async () => {
    const w = (world = await startWorld());
    const report = cardReport(w.card);
    expect(await unchanged(w, () => collate(w, { ...report, cplc: '00'.repeat(44) }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_card_data', path: '/cplc' } } });
    expect(await unchanged(w, () => collate(w, { ...report, cardResources: 'FF2100' }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_card_data', path: '/cardResources' } } });
    const { cin: _cin, ...noCin } = report;
    expect(await http(w.issuerUrl, '/cards/collate', { body: noCin })).toMatchObject({ status: 400, body: { error: { code: 'invalid_body', path: '/cin' } } });
    expect(await http(w.issuerUrl, '/cards/collate', { body: { ...report, cin: 'XYZ' } })).toMatchObject({ status: 400, body: { error: { code: 'invalid_body', path: '/cin' } } });
  });
});

describe('install request refusals (S8–S10)', () => {
  it('refuses a bad card signature (403 request_signature_invalid) and writes no order', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const sig = fromHex(signed.signature);
    sig[10] = sig[10]! ^ 0x01;
    const r = await unchanged(w, () => requestInstall(w, selection, { ...signed, signature: toHex(sig) }));
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'request_signature_invalid', path: '/signature' } } });
  });

  it('refuses a certificate from another CA (403 certificate_untrusted)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const rogue = await createIssuerCa({ random: seededRandom('rogue-ca'), name: 'cardlab Issuer CA' });
    const key = w.card.signingKey();
    const forged = await issueCardCertificate(rogue, {
      cardPublicKey: key.publicKey,
      curve: key.curve,
      iin: fromHex(w.iin),
      cin: fromHex(w.cin),
      serialNumber: Uint8Array.of(1, 2, 3),
      notBefore: new Date(w.clock.now - 60_000),
      notAfter: new Date(w.clock.now + 86_400_000),
    });
    const r = await unchanged(w, () => requestInstall(w, selection, { ...signed, certificate: toHex(forged) }));
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'certificate_untrusted', path: '/certificate' } } });
  });

  it('refuses a replayed request (409 request_replayed): the first use authorised, the second writes nothing', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const first = await requestInstall(w, selection, signed);
    expect(first.status).toBe(201);
    // Once remote management ran, the same signed request is a replay (before, it only gets its own order back).
    await remoteManagement(w, first.body);
    const r = await unchanged(w, () => requestInstall(w, selection, signed));
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'request_replayed' } } });
    expect(w.issuer.store.db.all('SELECT id FROM install_orders')).toHaveLength(1);
  });

  it('refuses an expired request (403 request_expired)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    w.clock.now += 301_000; // the provider's requests live 300 s
    const r = await unchanged(w, () => requestInstall(w, selection, signed));
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'request_expired' } } });
  });

  it('refuses a request the provider did not issue (403 provider_authorisation_invalid)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const r = await unchanged(w, () => requestInstall(w, { ...selection, providerAuthorisation: '00'.repeat(32) }, signed));
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'provider_authorisation_invalid' } } });
  });

  it('refuses a blocked card at the card-signed request (403 card_blocked)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    expect((await http(w.issuerUrl, `/admin/cards/${w.cardId}`, { method: 'PATCH', token: ADMIN_TOKEN, body: { status: 'blocked' } })).status).toBe(200);
    const r = await unchanged(w, () => requestInstall(w, selection, signed));
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'card_blocked' } } });
  });

  it('refuses an install the card has no room for, as it last reported under the secure channel (409 insufficient_memory)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    w.issuer.store.db.run('UPDATE cards SET free_nvm = 100, free_vm = 4096 WHERE id = ?', [w.cardId]);
    const r = await unchanged(w, () => requestInstall(w, selection, signed));
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'insufficient_memory' } } });
  });

  it('refuses undecodable request bytes (400 invalid_request_encoding)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const r = await unchanged(w, () => requestInstall(w, { ...selection, encodedRequest: `${selection.encodedRequest}00` }, signed));
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'invalid_request_encoding', path: '/request' } } });
  });
});

describe('remote management failures (S11–S14)', () => {
  it('records a DAP the card refuses as a failed order (dap_refused), with no content or notification, and the free memory the card authenticated', async () => {
    const w = (world = await startWorld({ cardDapKey: 'foreign' }));
    const { selection, signed } = await signedRequest(w);
    const install = (await requestInstall(w, selection, signed)).body;
    const session = await remoteManagement(w, install);
    expect(seramLogErrors(session.log)).toEqual([]);
    expect(session.notifications).toEqual([`install/${install.orderId}/failed/dap_refused`]);
    const order = w.issuer.store.db.get('SELECT state, failure_code, failure_detail FROM install_orders')!;
    expect(order).toMatchObject({ state: 'failed', failure_code: 'dap_refused' });
    expect(String(order.failure_detail)).toMatch(/LOAD block \d+ answered 6982/);
    expect(w.issuer.store.db.all('SELECT * FROM card_contents')).toEqual([]);
    expect(w.issuer.store.db.all('SELECT * FROM outbox')).toEqual([]);
    expect(w.issuer.store.db.get('SELECT free_nvm, installed_count FROM cards')).toEqual({ free_nvm: w.card.store.freeBytes(), installed_count: 0 });
  });

  it('records a card out of memory as a failed order (card_memory_full)', async () => {
    const w = (world = await startWorld({ cardProfile: { memory: { persistent: 2048 } }, codeSize: 2048 }));
    // The terminal reports more room than there is (stale or forged FF21): the card itself refuses.
    const report = { ...cardReport(w.card), cardResources: toHex(buildCardResources({ installedApplications: 0, freeNonVolatileMemory: 60_000, freeVolatileMemory: 4096 })) };
    expect((await collate(w, report)).status).toBe(200);
    const selection = (await selectService(w)).body;
    const install = (await requestInstall(w, selection, cardSigns(w.card, selection.encodedRequest))).body;
    const session = await remoteManagement(w, install);
    expect(session.notifications).toEqual([`install/${install.orderId}/failed/card_memory_full`]);
    expect(w.issuer.store.db.get('SELECT state, failure_code FROM install_orders')).toEqual({ state: 'failed', failure_code: 'card_memory_full' });
    expect(w.issuer.store.db.all('SELECT * FROM card_contents')).toEqual([]);
    expect(w.issuer.store.db.all('SELECT * FROM outbox')).toEqual([]);
  });

  it('refuses a tampered confirmation (confirmation_invalid) at level 03, where responses carry no R-MAC', async () => {
    const w = (world = await startWorld({ securityLevel: 0x03 }));
    const { selection, signed } = await signedRequest(w);
    const install = (await requestInstall(w, selection, signed)).body;
    // Flip one receipt byte of the INSTALL [for install] answer (84 E6 0C …) on its way back.
    const session = await remoteManagement(w, install, (capdu, rapdu) => {
      if (capdu[1] !== 0xe6 || capdu[2] !== 0x0c) return rapdu;
      const t = rapdu.slice();
      t[5] = t[5]! ^ 0x01;
      return t;
    });
    expect(session.notifications).toEqual([`install/${install.orderId}/failed/confirmation_invalid`]);
    const events = w.issuer.store.db.all('SELECT to_state FROM order_events ORDER BY id').map((r) => r.to_state);
    expect(events).toEqual(['requested', 'authorised', 'delivered', 'failed']);
    expect(w.issuer.store.db.all('SELECT * FROM card_contents')).toEqual([]);
    expect(w.issuer.store.db.all('SELECT * FROM outbox')).toEqual([]);
  });

  it('refuses a tampered response at level 33 by its R-MAC (secure_channel_failed)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const install = (await requestInstall(w, selection, signed)).body;
    const session = await remoteManagement(w, install, (capdu, rapdu) => {
      if (capdu[1] !== 0xe6 || capdu[2] !== 0x0c) return rapdu;
      const t = rapdu.slice();
      t[0] = t[0]! ^ 0x01;
      return t;
    });
    expect(session.notifications).toEqual([`install/${install.orderId}/failed/secure_channel_failed`]);
    expect(w.issuer.store.db.get('SELECT state, failure_code FROM install_orders')).toEqual({ state: 'failed', failure_code: 'secure_channel_failed' });
  });

  it('refuses SERAM messages that do not validate against gpseram.yaml (400 invalid_seram_message) and unknown sessions (404)', async () => {
    const w = (world = await startWorld());
    const { selection, signed } = await signedRequest(w);
    const install = (await requestInstall(w, selection, signed)).body;
    const hs = install.remoteManagement.handshake as string;
    expect(await http(hs, '', { body: { secureElements: [{ seType: 'phone', seId: w.cin }] } })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_seram_message', path: '/secureElements/0/seType' } },
    });
    expect(await http(w.issuerUrl, '/gp/seram/handshake?sessionId=nope', { body: { secureElements: [{ seType: 'eSE', seId: w.cin }] } })).toMatchObject({ status: 404, body: { error: { code: 'unknown_session' } } });
    expect(await http(hs, '', { body: { secureElements: [{ seType: 'eSE', seId: '00' }] } })).toMatchObject({ status: 409, body: { error: { code: 'secure_element_mismatch' } } });
    expect(await http(hs, '', { body: { secureElements: [{ seType: 'eSE', seId: w.cin }], supportedVersions: ['9.9.9'] } })).toMatchObject({ status: 406, body: { error: { code: 'no_acceptable_proposal' } } });
    expect(await http(install.remoteManagement.remoteManagement, '', { body: { localAgentStatus: { localAgentStatusEnum: 'POLLING' } } })).toMatchObject({
      status: 409,
      body: { error: { code: 'unexpected_report' } },
    });
    expect(await http(hs, '', { body: { secureElements: [{ seType: 'eSE', seId: w.cin }] } })).toMatchObject({ status: 200, body: { chosenDataFormat: 'application/json' } });
    const report = { localAgentStatus: { localAgentStatusEnum: 'PROCESSED' }, ramResponses: [{ ramResponseType: 'seRamResponse', listOfRAPDU: ['90 00'] }] };
    expect(await http(install.remoteManagement.remoteManagement, '', { body: report })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_seram_message', path: '/ramResponses/0/listOfRAPDU/0' } },
    });
  });
});

describe('provider refusals', () => {
  const notification = (w: World, nonce: string) =>
    JSON.stringify({
      notificationId: 'n-1',
      event: 'application.installed',
      orderId: 'o-1',
      providerId: 'acme-loyalty',
      serviceId: SERVICE_ID,
      nonce,
      cardId: w.cin,
      curve: 'P-256',
      cardPublicKey: toHex(w.card.signingKey().publicKey),
      packageAid: 'F0434152444C',
      instanceAid: 'F0434152444C01',
    });
  /** As the issuer's outbox sends it: HMAC of the body and the notificationId as idempotency key. */
  const signed = (body: string, secret = fromHex(PROVIDER_SECRET)) => ({ raw: body, headers: { [SIGNATURE_HEADER]: signBody(secret, body), 'idempotency-key': 'n-1' } });

  it('refuses a notification with a bad HMAC (401 bad_signature) and records nothing', async () => {
    const w = (world = await startWorld());
    const nonce = (await selectService(w)).body.request.nonce as string;
    const body = notification(w, nonce);
    const bad = await unchanged(w, () => http(w.providerUrl, '/notifications', signed(body, fromHex('00'.repeat(32)))));
    expect(bad).toMatchObject({ status: 401, body: { error: { code: 'bad_signature' } } });
    const none = await unchanged(w, () => http(w.providerUrl, '/notifications', { raw: body }));
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'bad_signature' } } });
    // The same body correctly signed is recorded once, however often it comes.
    const good = signed(body);
    expect(await http(w.providerUrl, '/notifications', good)).toMatchObject({ status: 200, body: { recorded: true } });
    expect(await http(w.providerUrl, '/notifications', good)).toMatchObject({ status: 200, body: { recorded: false, duplicate: true } });
    expect(w.provider.store.db.all('SELECT card_id FROM members')).toEqual([{ card_id: w.cin }]);
  });

  it('refuses a signed notification for a request it never issued (422 notification_conflict)', async () => {
    const w = (world = await startWorld());
    const body = notification(w, '11'.repeat(16));
    const r = await unchanged(w, () => http(w.providerUrl, '/notifications', signed(body)));
    expect(r).toMatchObject({ status: 422, body: { error: { code: 'notification_conflict' } } });
  });
});

describe('transport refusals on both servers', () => {
  it('answers malformed JSON 400 malformed_json, oversize bodies 413 payload_too_large, other media 415, unknown routes 404', async () => {
    const w = (world = await startWorld());
    for (const base of [w.issuerUrl, w.providerUrl]) {
      const path = base === w.issuerUrl ? '/cards/collate' : `/services/${SERVICE_ID}/select`;
      expect(await unchanged(w, () => http(base, path, { raw: '{"cin": ' }))).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
      expect(await unchanged(w, () => http(base, path, { raw: JSON.stringify({ pad: 'x'.repeat(70_000) }) }))).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
      expect(await unchanged(w, () => http(base, path, { raw: 'cin=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }))).toMatchObject({
        status: 415,
        body: { error: { code: 'unsupported_media_type' } },
      });
      expect(await http(base, '/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      expect(await unchanged(w, () => http(base, path, { raw: '[1,2]' }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    }
  });

  it('guards the admin API with its token (401 unauthorized) and refuses a CAP that is not one (400 invalid_cap)', async () => {
    const w = (world = await startWorld());
    expect(await unchanged(w, () => http(w.issuerUrl, '/admin/cardholders', { body: { name: 'x', address: 'y' } }))).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await unchanged(w, () => http(w.issuerUrl, '/admin/cardholders', { token: 'wrong', body: { name: 'x', address: 'y' } }))).toMatchObject({ status: 401 });
    const bad = await unchanged(w, () =>
      http(w.issuerUrl, '/admin/applications', { token: ADMIN_TOKEN, body: { providerId: 'acme-loyalty', name: 'junk', cap: Buffer.from('not a zip at all').toString('base64') } }),
    );
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_cap', path: '/cap' } } });
    const orders = await http(w.issuerUrl, '/admin/orders?state=bogus', { token: ADMIN_TOKEN });
    expect(orders).toMatchObject({ status: 400, body: { error: { code: 'invalid_query', path: '/state' } } });
  });
});

describe('CAP upload limits', () => {
  it('takes a CAP body above the 64 KiB default (CAP uploads may reach 1 MiB) and refuses one above 1 MiB (413)', async () => {
    const w = (world = await startWorld());
    const cap = buildCap({ packageAid: fromHex('F0000000010203'), appletAids: [fromHex('F000000001020301')], codeSize: 60_000 });
    const big = await http(w.issuerUrl, '/admin/applications', { token: ADMIN_TOKEN, body: { providerId: 'acme-loyalty', name: 'Big', cap: Buffer.from(cap).toString('base64') } });
    expect(big.status).toBe(201);
    expect(big.body.lfdbSize).toBeGreaterThan(60_000);
    const huge = await unchanged(w, () => http(w.issuerUrl, '/admin/applications', { token: ADMIN_TOKEN, body: { providerId: 'acme-loyalty', name: 'Huge', cap: 'A'.repeat(1_100_000) } }));
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  });
});
