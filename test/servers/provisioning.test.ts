import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildGetData, buildSelect } from '../../protocol/gp/commands/index.ts';
import { parseCardResources } from '../../protocol/gp/data/index.ts';
import { decodeApplicationRequest } from '../../protocol/provisioning/index.ts';
import { LOYALTY_PACKAGE_AID } from '../../simulator/index.ts';
import { seramLogErrors } from './support/local-agent.ts';
import { cardReport, cardSigns, collate, http, INSTANCE_AID, provision, remoteManagement, requestInstall, selectService, SERVICE_ID, startWorld, type World } from './support/world.ts';

const PACKAGE_AID = toHex(LOYALTY_PACKAGE_AID);
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('provisioning S1–S16 over real HTTP with the simulated card', () => {
  it('installs the loyalty applet end to end, with the database right at each step', async () => {
    const w = (world = await startWorld());
    const issuerDb = w.issuer.store.db;
    const providerDb = w.provider.store.db;

    // S1–S3: collation
    const report = cardReport(w.card);
    const freeBefore = parseCardResources(fromHex(report.cardResources)).freeNonVolatileMemory;
    const collated = await collate(w, report);
    expect(collated.status).toBe(200);
    // Anonymous: the issuer reads it back and records nothing (what it records comes from the card, authenticated).
    expect(collated.body).toMatchObject({ status: 'received', cin: w.cin, freeMemory: { nonVolatile: freeBefore } });
    expect(issuerDb.get('SELECT free_nvm, collated_at FROM cards WHERE id = ?', [w.cardId])).toMatchObject({ free_nvm: null, collated_at: null });

    // S4–S5: catalogue
    const catalogue = await http(w.providerUrl, '/services');
    expect(catalogue.body.services).toEqual([expect.objectContaining({ serviceId: SERVICE_ID, packageAid: PACKAGE_AID, appletAid: INSTANCE_AID })]);

    // S5–S6: the application request to sign
    const selected = await selectService(w);
    expect(selected.status).toBe(201);
    const request = decodeApplicationRequest(fromHex(selected.body.encodedRequest));
    expect(request).toMatchObject({ serviceId: SERVICE_ID, cardId: fromHex(w.cin), packageAid: LOYALTY_PACKAGE_AID });
    expect(request.expiresAt).toBe(Math.floor(w.clock.now / 1000) + 300);
    expect(providerDb.all('SELECT nonce, card_id FROM selections')).toEqual([{ nonce: toHex(request.nonce), card_id: w.cin }]);

    // S7–S10: the card signs; the issuer verifies and authorises
    const signed = cardSigns(w.card, selected.body.encodedRequest);
    const install = await requestInstall(w, selected.body, signed);
    expect(install.body.error).toBeUndefined();
    expect(install.status).toBe(201);
    expect(install.body.state).toBe('authorised');
    expect(install.body.remoteManagement.handshake).toBe(`${w.issuerUrl}/gp/seram/handshake?sessionId=${install.body.sessionId}`);
    const orderId = install.body.orderId as string;
    expect(issuerDb.all('SELECT to_state FROM order_events WHERE order_id = ? ORDER BY id', [orderId]).map((r) => r.to_state)).toEqual(['requested', 'authorised']);
    expect(issuerDb.get('SELECT state, nonce, service_id FROM install_orders WHERE id = ?', [orderId])).toEqual({ state: 'authorised', nonce: toHex(request.nonce), service_id: SERVICE_ID });

    // S11–S14: SERAM remote management through the relay
    const session = await remoteManagement(w, install.body);
    expect(session.error).toBeUndefined();
    expect(session.stopped).toBe(true);
    expect(seramLogErrors(session.log)).toEqual([]);
    expect(session.log.map((e) => e.kind)).toEqual([
      'ramHandshakeCommand',
      'ramHandshakeResponse',
      'remoteManagementReport',
      'remoteManagementOrder',
      'remoteManagementReport',
      'remoteManagementOrder',
      'remoteManagementReport',
      'remoteManagementOrder',
    ]);
    expect(session.notifications).toEqual([`install/${orderId}/confirmed`]);
    // Every APDU the card answered was accepted, but the DELETE of an earlier attempt's leftovers: there were none.
    expect(session.exchanges.filter((e) => !e.rapdu.endsWith('9000')).map((e) => e.rapdu)).toEqual(['6A88']);
    // C-APDUs after EXTERNAL AUTHENTICATE are secured (CLA 84), and none carries the LFDB in clear.
    const lfdbHex = toHex(issuerDb.get<{ lfdb: Uint8Array }>('SELECT lfdb FROM applications')!.lfdb).slice(0, 64);
    expect(session.exchanges.some((e) => e.capdu.includes(lfdbHex))).toBe(false);

    expect(issuerDb.all('SELECT to_state FROM order_events WHERE order_id = ? ORDER BY id', [orderId]).map((r) => r.to_state)).toEqual(['requested', 'authorised', 'delivered', 'confirmed']);
    const order = issuerDb.get('SELECT state, confirmation_counter, confirmation FROM install_orders WHERE id = ?', [orderId])!;
    expect(order.state).toBe('confirmed');
    expect(order.confirmation).toBeInstanceOf(Uint8Array);
    expect(issuerDb.all('SELECT aid, kind, load_file_aid FROM card_contents WHERE card_id = ? ORDER BY kind', [w.cardId])).toEqual([
      { aid: INSTANCE_AID, kind: 'application', load_file_aid: PACKAGE_AID },
      { aid: PACKAGE_AID, kind: 'load_file', load_file_aid: null },
    ]);
    // S14: the free memory recorded is what the card now reports.
    w.card.transmit(buildSelect()); // ends the secure channel the issuer left open
    const after = parseCardResources(w.card.transmit(buildGetData(0xff21)).slice(0, -2));
    expect(after.freeNonVolatileMemory).toBeLessThan(freeBefore);
    expect(issuerDb.get('SELECT free_nvm, installed_count FROM cards WHERE id = ?', [w.cardId])).toEqual({ free_nvm: after.freeNonVolatileMemory, installed_count: after.installedApplications });
    const outbox = issuerDb.all('SELECT order_id, delivered_at, attempts FROM outbox');
    expect(outbox).toEqual([{ order_id: orderId, delivered_at: null, attempts: 0 }]);
    expect(await http(w.issuerUrl, `/install-orders/${orderId}?sessionId=${install.body.sessionId}`)).toMatchObject({ status: 200, body: { state: 'confirmed' } });

    // The issuer now lists the application on the card: a new request for it is refused.
    expect(await w.issuer.store.listCardContents(w.cardId)).toEqual(expect.arrayContaining([expect.objectContaining({ aid: INSTANCE_AID, kind: 'application', loadFileAid: PACKAGE_AID })]));
    const again = (await selectService(w)).body;
    expect(await requestInstall(w, again, cardSigns(w.card, again.encodedRequest))).toMatchObject({ status: 409, body: { error: { code: 'already_installed' } } });

    // S16 before S15: not a member yet, so no start request to sign.
    expect(await http(w.providerUrl, `/services/${SERVICE_ID}/start-requests`, { body: { cardId: w.cin } })).toMatchObject({ status: 409, body: { error: { code: 'not_a_member' } } });

    // S15: the outbox worker tells the provider, which records the member once.
    expect(await w.outbox.runOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(issuerDb.get<{ delivered_at: number | null }>('SELECT delivered_at FROM outbox')!.delivered_at).toBe(w.clock.now);
    expect(providerDb.all('SELECT service_id, card_id, order_id, state FROM members')).toEqual([{ service_id: SERVICE_ID, card_id: w.cin, order_id: orderId, state: 'member' }]);
    expect(await w.outbox.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });

    // S16: the card signs a start request; the provider answers the commands the terminal sends to the applet.
    const signedStart = async () => {
      const request = (await http(w.providerUrl, `/services/${SERVICE_ID}/start-requests`, { body: { cardId: w.cin } })).body.encodedRequest as string;
      return http(w.providerUrl, `/services/${SERVICE_ID}/start`, { body: { request, signature: cardSigns(w.card, request).signature } });
    };
    const start = await signedStart();
    expect(start).toMatchObject({ status: 200, body: { state: 'starting', commands: [toHex(buildSelect(fromHex(INSTANCE_AID))), expect.stringMatching(/^805201000C[0-9A-F]{16}0000006406$/)] } });
    const answers = (start.body.commands as string[]).map((c) => toHex(w.card.transmit(fromHex(c))));
    expect(answers[0]!.endsWith('9000')).toBe(true);
    expect(answers[1]).toBe('0000006400019000'); // balance 100, counter 1
    expect(providerDb.get('SELECT state FROM members')).toEqual({ state: 'member' });
    // The terminal acknowledges the card's answers: only now is the member active.
    expect(await http(w.providerUrl, `/services/${SERVICE_ID}/start/ack`, { body: { startId: start.body.startId, responses: answers } })).toMatchObject({ status: 200, body: { state: 'active' } });
    expect(providerDb.get('SELECT state FROM members')).toEqual({ state: 'active' });
    // A second start does not credit again.
    expect((await signedStart()).body).toMatchObject({ state: 'active', commands: [] });

    // The admin view agrees, without key material.
    const admin = await http(w.issuerUrl, `/admin/cards/${w.cardId}`, { token: 'test-admin-token' });
    expect(admin.body.orders).toEqual([expect.objectContaining({ orderId, state: 'confirmed' })]);
    expect(JSON.stringify(admin.body)).not.toMatch(/404142434445464748494A4B4C4D4E4F/i);
  });

  it('serves an OpenAPI 3 document naming every operation and the SERAM schemas', async () => {
    const w = (world = await startWorld());
    const doc = (await http(w.issuerUrl, '/openapi.json')).body;
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/cards/collate', '/install-requests', '/gp/seram/handshake', '/gp/seram/remoteManagement', '/admin/cards', '/admin/applications', '/admin/orders']),
    );
    expect(doc.components.schemas.ramHandshakeResponse.required).toEqual(['chosenDataFormat', 'chosenTransportProtocol', 'chosenVersion']);
    const provider = (await http(w.providerUrl, '/openapi.json')).body;
    expect(Object.keys(provider.paths)).toEqual(expect.arrayContaining(['/services', '/services/{serviceId}/select', '/notifications', '/services/{serviceId}/start-requests', '/services/{serviceId}/start', '/services/{serviceId}/start/ack']));
  });
});

describe('logs', () => {
  it('carry no personal data and no key material through a whole provisioning', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const w = (world = await startWorld({ logStream: stream }));
    await provision(w);
    await w.outbox.runOnce();
    expect(text).toMatch(/install confirmed/);
    expect(text).toMatch(/provider notified/);
    for (const secret of ['Ada Lovelace', 'St James', '404142434445464748494A4B4C4D4E4F', toHex(w.keys.dap.privateKey), toHex(w.keys.ca.privateKey), '00112233445566778899AABBCCDDEEFF']) {
      expect(text.toUpperCase()).not.toContain(secret.toUpperCase());
    }
  });
});

describe('Local Agent failures', () => {
  it('fails the order when the Local Agent reports the secure element unavailable', async () => {
    const w = (world = await startWorld());
    await collate(w);
    const selection = (await selectService(w)).body;
    const install = (await requestInstall(w, selection, cardSigns(w.card, selection.encodedRequest))).body;
    expect((await http(install.remoteManagement.handshake, '', { body: { secureElements: [{ seType: 'eSE', seId: w.cin }] } })).status).toBe(200);
    const order = await http(install.remoteManagement.remoteManagement, '', { body: { localAgentStatus: { localAgentStatusEnum: 'UNAVAILABLE_SE', errorMsg: 'reader unplugged' } } });
    expect(order.body.ramCommands).toEqual([
      { ramCommandType: 'notificationCommand', deviceAppNotification: `install/${install.orderId}/failed/local_agent_error` },
      { ramCommandType: 'stopCommand' },
    ]);
    expect(w.issuer.store.db.get('SELECT state, failure_code FROM install_orders')).toEqual({ state: 'failed', failure_code: 'local_agent_error' });
    expect(await http(install.remoteManagement.remoteManagement, '', { body: { localAgentStatus: { localAgentStatusEnum: 'POLLING' } } })).toMatchObject({
      status: 409,
      body: { error: { code: 'session_closed' } },
    });
  });
});
