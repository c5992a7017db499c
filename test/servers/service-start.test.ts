import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { generateEcKeyPair, seededRandom, signEcdsa } from '../../protocol/crypto/index.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { buildGetBalance } from '../../protocol/loyalty/index.ts';
import { encodeStartRequest } from '../../protocol/provisioning/index.ts';
import { SIGNATURE_HEADER, signBody } from '../../servers/index.ts';
import { LOYALTY_APPLET_AID } from '../../simulator/index.ts';
import { cardSigns, dump, http, INSTANCE_AID, PROVIDER_SECRET, provision, selectService, SERVICE_ID, startWorld, type HttpAnswer, type World } from './support/world.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const base = (w: World) => `/services/${SERVICE_ID}`;
const startRequest = (w: World, cardId = w.cin) => http(w.providerUrl, `${base(w)}/start-requests`, { body: { cardId } });
const start = (w: World, body: unknown) => http(w.providerUrl, `${base(w)}/start`, { body });
const ack = (w: World, body: unknown) => http(w.providerUrl, `${base(w)}/start/ack`, { body });

/** A fresh start request, signed by the card (PERFORM SECURITY OPERATION, as in S7). */
async function signedStart(w: World): Promise<{ request: string; signature: string }> {
  const r = await startRequest(w);
  expect(r.status).toBe(201);
  const request = r.body.encodedRequest as string;
  return { request, signature: cardSigns(w.card, request).signature };
}

/** The provider's and issuer's whole databases are what they were: the call changed no row. */
async function unchanged(w: World, call: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
  const before = [dump(w.provider.store), dump(w.issuer.store)];
  const answer = await call();
  expect([dump(w.provider.store), dump(w.issuer.store)]).toEqual(before);
  return answer;
}

/** S1–S15: the card has the loyalty applet and the provider knows the member. */
async function member(): Promise<World> {
  const w = (world = await startWorld());
  const { session, install } = await provision(w);
  expect(session.notifications).toEqual([`install/${install.orderId}/confirmed`]);
  expect(await w.outbox.runOnce()).toMatchObject({ delivered: 1, retried: 0 });
  return w;
}

const send = (w: World, commands: string[]) => commands.map((c) => toHex(w.card.transmit(fromHex(c))));
const balance = (w: World) => {
  w.card.transmit(buildSelect(LOYALTY_APPLET_AID));
  return toHex(w.card.transmit(buildGetBalance()));
};
const stateOf = (w: World) => w.provider.store.db.get('SELECT state FROM members');

/** The notification the issuer delivered, re-sent as the issuer would with `changes` (HMAC, idempotency key). */
function notificationLike(w: World, changes: Record<string, unknown>, key?: string) {
  const delivered = JSON.parse(w.issuer.store.db.get<{ body: string }>('SELECT body FROM outbox')!.body) as Record<string, unknown>;
  const body = JSON.stringify({ ...delivered, ...changes });
  const id = key ?? String(changes.notificationId ?? delivered.notificationId);
  return { raw: body, headers: { [SIGNATURE_HEADER]: signBody(fromHex(PROVIDER_SECRET), body), 'idempotency-key': id } };
}

describe('S16: the card-signed, acknowledged service start', () => {
  it('hands out the same commands, byte for byte, on every card-signed start until acknowledged; the card applies the credit once', async () => {
    const w = await member();
    const first = await start(w, await signedStart(w));
    expect(first).toMatchObject({ status: 200, body: { serviceId: SERVICE_ID, cardId: w.cin, state: 'starting' } });
    const commands = first.body.commands as string[];
    expect(commands[0]).toBe(toHex(buildSelect(fromHex(INSTANCE_AID))));
    expect(commands[1]).toMatch(/^805201000C[0-9A-F]{16}0000006406$/);
    // The terminal sent them, but the answer to the start was lost: a new signed start gets the same.
    const firstAnswers = send(w, commands);
    expect(stateOf(w)).toEqual({ state: 'member' });
    const again = await start(w, await signedStart(w));
    expect(again.body).toEqual(first.body);
    const answers = send(w, again.body.commands);
    expect(answers).toEqual(firstAnswers);
    expect(answers[1]).toBe('0000006400019000');
    // Acknowledged: now active, and a start has nothing more to send.
    expect(await ack(w, { startId: first.body.startId, responses: answers })).toMatchObject({ status: 200, body: { state: 'active', startId: first.body.startId } });
    expect(stateOf(w)).toEqual({ state: 'active' });
    // The acknowledgement's answer lost: the same acknowledgement again is answered alike.
    expect(await unchanged(w, () => ack(w, { startId: first.body.startId, responses: answers }))).toMatchObject({ status: 200, body: { state: 'active' } });
    expect(await start(w, await signedStart(w))).toMatchObject({ status: 200, body: { state: 'active', commands: [] } });
    expect(balance(w)).toBe('0000006400019000');
  });

  it('gives nothing to a caller without the card signature (stranger at /start), and changes no row', async () => {
    const w = await member();
    // Knowing the CIN is not enough: the old body is no longer a start.
    expect(await unchanged(w, () => start(w, { cardId: w.cin }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    const issued = (await startRequest(w)).body;
    const stranger = generateEcKeyPair('P-256', seededRandom('stranger'));
    const forged = toHex(signEcdsa('P-256', stranger.privateKey, fromHex(issued.encodedRequest)));
    const refused = await unchanged(w, () => start(w, { request: issued.encodedRequest, signature: forged }));
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'start_signature_invalid', path: '/signature' } } });
    expect(refused.body.commands).toBeUndefined();
    // A request the provider never issued, and one it issued for another card.
    const made = encodeStartRequest({ serviceId: SERVICE_ID, cardId: fromHex(w.cin), instanceAid: fromHex(INSTANCE_AID), nonce: new Uint8Array(16).fill(7), expiresAt: Math.floor(w.clock.now / 1000) + 60 });
    const madeSigned = cardSigns(w.card, toHex(made)).signature;
    expect(await unchanged(w, () => start(w, { request: toHex(made), signature: madeSigned }))).toMatchObject({ status: 404, body: { error: { code: 'unknown_start_request' } } });
    // The card's signature on an application request (71) is not a start (72).
    const selection = (await selectService(w)).body;
    const applicationSigned = cardSigns(w.card, selection.encodedRequest).signature;
    expect(await unchanged(w, () => start(w, { request: selection.encodedRequest, signature: applicationSigned }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_start_request', path: '/request' } } });
    expect(stateOf(w)).toEqual({ state: 'member' });
  });

  it('refuses a replayed, an expired or a foreign-service start and every bad acknowledgement with a precise 4xx, changing no row', async () => {
    const w = await member();
    const signed = await signedStart(w);
    const first = await start(w, signed);
    expect(first.status).toBe(200);
    expect(await unchanged(w, () => start(w, signed))).toMatchObject({ status: 409, body: { error: { code: 'request_replayed' } } });
    const late = await signedStart(w);
    w.clock.now += 301_000;
    expect(await unchanged(w, () => start(w, late))).toMatchObject({ status: 403, body: { error: { code: 'request_expired' } } });
    const fresh = await signedStart(w);
    expect(await unchanged(w, () => http(w.providerUrl, '/services/echo/start', { body: fresh }))).toMatchObject({ status: 404, body: { error: { code: 'unknown_service' } } });
    expect(await unchanged(w, () => start(w, { ...fresh, signature: 'ZZ' }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    const okResponses = ['9000', '0000006400019000'];
    expect(await unchanged(w, () => ack(w, { startId: 'nope', responses: okResponses }))).toMatchObject({ status: 404, body: { error: { code: 'unknown_start' } } });
    expect(await unchanged(w, () => ack(w, { startId: first.body.startId, responses: ['9000'] }))).toMatchObject({ status: 422, body: { error: { code: 'start_responses_mismatch' } } });
    expect(await unchanged(w, () => ack(w, { startId: first.body.startId, responses: ['9000', '6985'] }))).toMatchObject({ status: 422, body: { error: { code: 'start_not_applied', path: '/responses/1' } } });
    expect(await unchanged(w, () => ack(w, { startId: first.body.startId, responses: okResponses, extra: 1 }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    expect(await unchanged(w, () => startRequest(w, '0102'))).toMatchObject({ status: 409, body: { error: { code: 'not_a_member' } } });
    expect(stateOf(w)).toEqual({ state: 'member' });
  });
});

describe('S15: notifications are idempotent by key and never reset a member', () => {
  it('refuses a second notification for a consumed request nonce under a new id (409 notification_conflict) and resets nothing', async () => {
    const w = await member();
    const s = await start(w, await signedStart(w));
    send(w, s.body.commands);
    await ack(w, { startId: s.body.startId, responses: ['9000', '0000006400019000'] });
    const r = await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, { notificationId: 'another-id' })));
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'notification_conflict', path: '/nonce' } } });
    expect(stateOf(w)).toEqual({ state: 'active' });
    expect(await start(w, await signedStart(w))).toMatchObject({ status: 200, body: { state: 'active', commands: [] } });
  });

  it('honours the idempotency key: the same key again is a duplicate; no key or another key than the id is refused', async () => {
    const w = await member();
    expect(await http(w.providerUrl, '/notifications', notificationLike(w, {}))).toMatchObject({ status: 200, body: { recorded: false, duplicate: true } });
    const noKey = notificationLike(w, {});
    delete (noKey.headers as Record<string, string>)['idempotency-key'];
    expect(await unchanged(w, () => http(w.providerUrl, '/notifications', noKey))).toMatchObject({ status: 400, body: { error: { code: 'idempotency_key_missing' } } });
    expect(await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, {}, 'other')))).toMatchObject({ status: 400, body: { error: { code: 'idempotency_key_mismatch' } } });
    expect(await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, { orderId: 'changed' })))).toMatchObject({ status: 409, body: { error: { code: 'notification_conflict' } } });
  });

  it('refuses a notification whose card key is no point of its curve (422 invalid_card_data): no member who could never start', async () => {
    const w = (world = await startWorld());
    const { install } = await provision(w);
    const body = JSON.parse(w.issuer.store.db.get<{ body: string }>('SELECT body FROM outbox')!.body) as Record<string, unknown>;
    expect(body.orderId).toBe(install.orderId);
    const notPoint = `04${'11'.repeat(64)}`;
    const r = await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, { cardPublicKey: notPoint })));
    expect(r).toMatchObject({ status: 422, body: { error: { code: 'invalid_card_data', path: '/cardPublicKey' } } });
  });

  it("a second confirmed order's notification never resets an active member nor re-credits (409 already_a_member)", async () => {
    const w = await member();
    const s = await start(w, await signedStart(w));
    await ack(w, { startId: s.body.startId, responses: send(w, s.body.commands) });
    const second = (await selectService(w)).body;
    const r = await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, { notificationId: 'second-order', orderId: 'second-order', nonce: second.request.nonce })));
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'already_a_member' } } });
    expect(await start(w, await signedStart(w))).toMatchObject({ status: 200, body: { state: 'active', commands: [] } });
    expect(balance(w)).toBe('0000006400019000');
  });

  it('lets the card join again only when the issuer says the new order replaces the active membership', async () => {
    const w = await member();
    const orderId = (await w.provider.store.getMember(SERVICE_ID, w.cin))!.orderId;
    const next = () => selectService(w).then((r) => r.body.request.nonce as string);
    // Not yet active: even a replacing order is refused.
    const earlyNonce = await next();
    const early = await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, { notificationId: 'early', orderId: 'early', nonce: earlyNonce, replacesOrderId: orderId })));
    expect(early).toMatchObject({ status: 409, body: { error: { code: 'already_a_member' } } });
    const s = await start(w, await signedStart(w));
    await ack(w, { startId: s.body.startId, responses: send(w, s.body.commands) });
    const wrongNonce = await next();
    const wrong = await unchanged(w, () => http(w.providerUrl, '/notifications', notificationLike(w, { notificationId: 'wrong', orderId: 'wrong', nonce: wrongNonce, replacesOrderId: 'not-the-order' })));
    expect(wrong).toMatchObject({ status: 409, body: { error: { code: 'already_a_member' } } });
    const rejoin = await http(w.providerUrl, '/notifications', notificationLike(w, { notificationId: 'rejoin', orderId: 'rejoin', nonce: await next(), replacesOrderId: orderId }));
    expect(rejoin.status).toBe(200);
    expect(await w.provider.store.getMember(SERVICE_ID, w.cin)).toMatchObject({ orderId: 'rejoin', state: 'member' });
  });
});

describe('S16 endpoints: any body that is not a valid call', () => {
  it('is a 4xx with a code, never a 500, and changes no row (property, 40 bodies per endpoint)', async () => {
    const w = await member();
    const hex = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('hex'));
    const json = fc.oneof(
      fc.anything(),
      fc.record({ cardId: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
      fc.record({ request: fc.oneof(hex, fc.string()), signature: fc.oneof(hex, fc.constant(null)) }, { requiredKeys: [] }),
      fc.record({ startId: fc.string(), responses: fc.array(fc.oneof(hex, fc.integer())) }, { requiredKeys: [] }),
    );
    for (const path of ['start-requests', 'start', 'start/ack']) {
      await fc.assert(
        fc.asyncProperty(json, async (body) => {
          const before = dump(w.provider.store);
          const r = await http(w.providerUrl, `/services/${SERVICE_ID}/${path}`, { raw: JSON.stringify(body) ?? 'null' });
          if (r.status === 201) return; // a well-formed start request for a member (cardId hex of that card): nothing to refuse
          expect(r.status).toBeGreaterThanOrEqual(400);
          expect(r.status).toBeLessThan(500);
          expect(typeof r.body?.error?.code).toBe('string');
          expect(dump(w.provider.store)).toEqual(before);
        }),
        { numRuns: 40 },
      );
    }
  });
});
