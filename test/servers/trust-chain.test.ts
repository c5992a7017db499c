import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { toHex } from '../../protocol/bytes.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID } from '../../simulator/index.ts';
import { runLocalAgent } from './support/local-agent.ts';
import {
  ADMIN_TOKEN,
  cardReport,
  cardSigns,
  collate,
  dump,
  http,
  provision,
  registerSimulatedCard,
  remoteManagement,
  requestInstall,
  selectService,
  startWorld,
  type World,
} from './support/world.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const swOf = (r: Uint8Array) => toHex(r.subarray(r.length - 2));

/** S5–S10 for the world's card: a fresh authorised order. */
async function authorisedOrder(world: World) {
  const selection = (await selectService(world)).body;
  const install = await requestInstall(world, selection, cardSigns(world.card, selection.encodedRequest));
  return { selection, install };
}

describe('the right card: a SERAM session is bound to its card by cryptography', () => {
  it('gives every card its own ISD keys, derived by the issuer, and stores none of them in clear', async () => {
    w = await startWorld();
    const second = await registerSimulatedCard(w.issuerUrl, w.keys.dap.publicKey, { seed: 2, holder: 'Grace Hopper' });
    const first = w.card.keyset()!;
    expect(toHex(first.enc)).not.toBe(toHex(second.card.keyset()!.enc));
    expect(toHex(first.enc)).not.toBe('404142434445464748494A4B4C4D4E4F');
    const db = JSON.stringify(dump(w.issuer.store), (_k, v) => (v instanceof Uint8Array ? toHex(v) : v));
    for (const key of [first.enc, first.mac, first.dek].map((k) => toHex(k))) expect(db).not.toContain(key);
  });

  it("installs nothing when card H's terminal runs card G's session offering G's CIN: the channel does not open, G's order fails", async () => {
    w = await startWorld();
    const h = await registerSimulatedCard(w.issuerUrl, w.keys.dap.publicKey, { seed: 2, holder: 'Grace Hopper' });
    expect((await collate(w)).status).toBe(200);
    const { install } = await authorisedOrder(w);
    expect(install.status).toBe(201);

    // H's terminal takes G's session and G's (public) CIN, and relays to H's card.
    h.card.transmit(buildSelect());
    const session = await runLocalAgent({
      handshakeUrl: install.body.remoteManagement.handshake,
      remoteManagementUrl: install.body.remoteManagement.remoteManagement,
      seId: w.cin,
      transmit: (c) => h.card.transmit(c),
    });
    expect(session.notifications).toEqual([`install/${install.body.orderId}/failed/secure_channel_failed`]);
    // Nothing beyond SELECT and INITIALIZE UPDATE reached H: no LOAD, no INSTALL.
    expect(session.exchanges.map((e) => e.capdu.slice(0, 4))).toEqual(['00A4', '8050']);
    h.card.transmit(buildSelect());
    expect(swOf(h.card.transmit(buildSelect(LOYALTY_APPLET_AID)))).toBe('6A82');
    const order = await w.issuer.store.getOrder(install.body.orderId);
    expect([order?.state, order?.failureCode]).toEqual(['failed', 'secure_channel_failed']);
    expect(await w.issuer.store.listCardContents(h.cardId)).toEqual([]);
  });

  it('refuses an INITIALIZE UPDATE answered with another key version (secure_channel_failed)', async () => {
    w = await startWorld();
    await collate(w);
    const { install } = await authorisedOrder(w);
    const session = await remoteManagement(w, install.body, (capdu, rapdu) => {
      if (capdu[1] !== 0x50 || rapdu.length < 12) return rapdu;
      const changed = rapdu.slice();
      changed[10] = 0x31;
      return changed;
    });
    expect(session.notifications[0]).toBe(`install/${install.body.orderId}/failed/secure_channel_failed`);
    const events = await w.issuer.store.orderEvents(install.body.orderId);
    expect(events.at(-1)?.detail).toMatch(/key version 31, not the 30 asked for/);
  });
});

describe('collation records nothing from an anonymous body and answers alike', () => {
  it('takes a forged FF21 (no free memory) without changing a row, and the next real install goes through', async () => {
    w = await startWorld();
    const before = dump(w.issuer.store);
    const report = cardReport(w.card);
    const forged = await collate(w, { ...report, cardResources: 'FF210B8101008202000083020000' });
    expect(forged.status).toBe(200);
    expect(dump(w.issuer.store)).toEqual(before);
    const { install } = await authorisedOrder(w);
    expect(install.status).toBe(201);
  });

  it('answers a registered CIN, an unknown one and a mismatching IIN with the same status and the same shape', async () => {
    w = await startWorld();
    const report = cardReport(w.card);
    const known = await collate(w, report);
    const unknown = await collate(w, { ...report, cin: '45080102030405060708' });
    const mismatch = await collate(w, { ...report, iin: '4203FFFFFF' });
    for (const a of [known, unknown, mismatch]) {
      expect(a.status).toBe(200);
      expect(Object.keys(a.body).sort()).toEqual(['cin', 'freeMemory', 'icSerial', 'iin', 'installedCount', 'status']);
      expect(a.body.status).toBe('received');
    }
    expect(unknown.body.cin).toBe('0102030405060708');
  });
});

describe('exactly once: one open order per card and application', () => {
  it('refuses a second install request while one is open (409 order_open), and once installed (409 already_installed)', async () => {
    w = await startWorld();
    await collate(w);
    const first = await authorisedOrder(w);
    expect(first.install.status).toBe(201);
    const before = dump(w.issuer.store);
    const second = await authorisedOrder(w);
    expect([second.install.status, second.install.body.error.code]).toEqual([409, 'order_open']);
    expect(dump(w.issuer.store)).toEqual(before);
    // The card itself asked (its signature verified): it learns how to finish the open order.
    expect(second.install.body.openOrder).toEqual(first.install.body);

    const session = await remoteManagement(w, first.install.body);
    expect(session.notifications[0]).toBe(`install/${first.install.body.orderId}/confirmed`);
    const third = await authorisedOrder(w);
    expect([third.install.status, third.install.body.error.code]).toEqual([409, 'already_installed']);
    const confirmed = (await w.issuer.store.listOrders({ cardId: w.cardId })).filter((o) => o.state === 'confirmed');
    expect(confirmed).toHaveLength(1);
  });

  it('tells no one but the card which order is open: a request with a bad signature gets no openOrder', async () => {
    w = await startWorld();
    await authorisedOrder(w);
    const selection = (await selectService(w)).body;
    const signed = cardSigns(w.card, selection.encodedRequest);
    const forged = await requestInstall(w, selection, { ...signed, signature: signed.signature.slice(0, -4) + 'FFFF' });
    expect(forged.status).toBe(403);
    expect(forged.body.openOrder).toBeUndefined();
  });

  it('lets exactly one of two concurrent install requests through (the one-open-order index holds under races)', async () => {
    w = await startWorld();
    const a = (await selectService(w)).body;
    const b = (await selectService(w)).body;
    const signedA = cardSigns(w.card, a.encodedRequest);
    const signedB = cardSigns(w.card, b.encodedRequest);
    const answers = await Promise.all([requestInstall(w, a, signedA), requestInstall(w, b, signedB)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.status === 409)!.body.error.code).toBe('order_open');
    expect(await w.issuer.store.listOrders({ cardId: w.cardId })).toHaveLength(1);
  });

  it('refuses a second order at the store too, whatever the route checked (StoreError DUPLICATE open_order)', async () => {
    w = await startWorld();
    await collate(w);
    const { install } = await authorisedOrder(w);
    const order = (await w.issuer.store.getOrder(install.body.orderId))!;
    await expect(
      w.issuer.store.createAuthorisedOrder({ ...order, id: 'other', nonce: '00'.repeat(16), sessionId: 'other-session' }),
    ).rejects.toMatchObject({ code: 'DUPLICATE', field: 'open_order' });
  });

  it('answers the very same signed request again with the same order (a lost answer), and any other reuse of its nonce as a replay', async () => {
    w = await startWorld();
    const selection = (await selectService(w)).body;
    const signed = cardSigns(w.card, selection.encodedRequest);
    const first = await requestInstall(w, selection, signed);
    expect(first.status).toBe(201);
    const before = dump(w.issuer.store);
    const again = await requestInstall(w, selection, signed);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(dump(w.issuer.store)).toEqual(before);
    // The same request with an altered signature gets nothing back: the signature is checked first.
    const der = await requestInstall(w, selection, { ...signed, signature: signed.signature.slice(0, -2) + (signed.signature.endsWith('00') ? '01' : '00') });
    expect(der.status).toBe(403);
    // Once remote management ran, the same request is a replay.
    await remoteManagement(w, first.body);
    expect(await requestInstall(w, selection, signed)).toMatchObject({ status: 409, body: { error: { code: 'request_replayed' } } });
  });

  it('allows a new order once the issuer records the application deleted from the card', async () => {
    w = await startWorld();
    await provision(w);
    const unauthenticated = await http(w.issuerUrl, `/admin/cards/${w.cardId}/contents/${toHex(LOYALTY_PACKAGE_AID)}`, { method: 'DELETE' });
    expect(unauthenticated.status).toBe(401);
    const removed = await http(w.issuerUrl, `/admin/cards/${w.cardId}/contents/${toHex(LOYALTY_PACKAGE_AID)}`, { method: 'DELETE', token: ADMIN_TOKEN });
    expect([removed.status, removed.body.removed]).toEqual([200, 2]);
    const again = await http(w.issuerUrl, `/admin/cards/${w.cardId}/contents/${toHex(LOYALTY_PACKAGE_AID)}`, { method: 'DELETE', token: ADMIN_TOKEN });
    expect([again.status, again.body.error.code]).toEqual([404, 'not_on_card']);
    const next = await authorisedOrder(w);
    expect(next.install.status).toBe(201);
  });

  it('confirms in one transaction: when the confirmation cannot be written whole, the order stays authorised', async () => {
    w = await startWorld();
    await collate(w);
    const { install } = await authorisedOrder(w);
    // An outbox row already holding this order makes the S14 transaction fail at its last write.
    w.issuer.store.db.run("INSERT INTO outbox (id, order_id, provider_id, body, attempts, next_attempt_at, created_at) VALUES ('x', ?, ?, '{}', 0, 0, 0)", [install.body.orderId, 'acme-loyalty']);
    await remoteManagement(w, install.body).catch(() => undefined);
    const order = await w.issuer.store.getOrder(install.body.orderId);
    expect(order?.state).toBe('authorised');
    expect((await w.issuer.store.orderEvents(install.body.orderId)).map((e) => e.toState)).toEqual(['requested', 'authorised']);
    expect(await w.issuer.store.listCardContents(w.cardId)).toEqual([]);
  });
});

describe('orders expire', () => {
  it('refuses a handshake after the order expired (409 order_expired), fails the order and frees the card for a new one', async () => {
    w = await startWorld();
    await collate(w);
    const { install } = await authorisedOrder(w);
    const order = (await w.issuer.store.getOrder(install.body.orderId))!;
    w.clock.now = order.expiresAt * 1000 + 1;
    const hs = await http(w.issuerUrl, new URL(install.body.remoteManagement.handshake).pathname + new URL(install.body.remoteManagement.handshake).search, {
      body: { secureElements: [{ seType: 'eSE', seId: w.cin }] },
    });
    expect([hs.status, hs.body.error?.code]).toEqual([409, 'order_expired']);
    const after = (await w.issuer.store.getOrder(install.body.orderId))!;
    expect([after.state, after.failureCode]).toEqual(['failed', 'order_expired']);
    w.card.transmit(buildSelect());
    expect(swOf(w.card.transmit(buildSelect(LOYALTY_APPLET_AID)))).toBe('6A82');
    const next = await authorisedOrder(w);
    expect(next.install.status).toBe(201);
  });

  it('refuses a report on a live session once the order expired, before any further command reaches the card', async () => {
    w = await startWorld();
    await collate(w);
    const { install } = await authorisedOrder(w);
    const order = (await w.issuer.store.getOrder(install.body.orderId))!;
    let reports = 0;
    const session = await remoteManagement(w, install.body, (capdu, rapdu) => {
      // After the first order (SELECT, INITIALIZE UPDATE) ran, time passes beyond the expiry.
      if (capdu[1] === 0x50 && reports++ === 0) w!.clock.now = order.expiresAt * 1000 + 1;
      return rapdu;
    });
    expect(session.error?.status).toBe(409);
    expect((session.error?.body as { error: { code: string } }).error.code).toBe('order_expired');
    expect(session.exchanges.some((e) => e.capdu.startsWith('80E6') || e.capdu.startsWith('84E6'))).toBe(false);
    expect((await w.issuer.store.getOrder(install.body.orderId))?.failureCode).toBe('order_expired');
  });

  it('tells the terminal the order ended when it ended while the card worked, and records no confirmation', async () => {
    w = await startWorld();
    await collate(w);
    const { install } = await authorisedOrder(w);
    const session = await remoteManagement(w, install.body, (capdu, rapdu) => {
      // The last command of the script (GET DATA FF21, wrapped): meanwhile the order expires elsewhere.
      if (capdu[1] === 0xca) void w!.issuer.store.failOrder(install.body.orderId, 'order_expired', 'expired during the session', w!.clock.now);
      return rapdu;
    });
    expect(session.notifications).toEqual([`install/${install.body.orderId}/failed/order_expired`]);
    expect((await w.issuer.store.getOrder(install.body.orderId))?.state).toBe('failed');
    expect(await w.issuer.store.listCardContents(w.cardId)).toEqual([]);
    expect(w.issuer.store.db.all('SELECT * FROM outbox')).toEqual([]);
  });
});

describe('the order status is for the terminal that made the order', () => {
  it('needs the session id, answers an unknown order and a wrong session alike, and echoes no Local Agent text', async () => {
    w = await startWorld();
    const { install } = await provision(w);
    const id = install.orderId;
    expect((await http(w.issuerUrl, `/install-orders/${id}`)).status).toBe(400);
    const wrong = await http(w.issuerUrl, `/install-orders/${id}?sessionId=00000000-0000-4000-8000-000000000000`);
    const unknown = await http(w.issuerUrl, `/install-orders/00000000-0000-4000-8000-000000000000?sessionId=${install.sessionId}`);
    expect([wrong.status, wrong.body]).toEqual([unknown.status, unknown.body]);
    expect(wrong.status).toBe(404);
    const right = await http(w.issuerUrl, `/install-orders/${id}?sessionId=${install.sessionId}`);
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ orderId: id, state: 'confirmed' });
    expect(JSON.stringify(right.body)).not.toMatch(/detail|Local Agent/);
  });
});

describe('at rest', () => {
  it('keeps the database 0600 and no card key or provider secret readable in its bytes', async () => {
    const { mkdtempSync, statSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = join(mkdtempSync(join(tmpdir(), 'cardlab-at-rest-')), 'issuer');
    try {
      w = await startWorld({ issuerDb: join(dir, 'issuer.db') });
      await provision(w);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const all = ['issuer.db', 'issuer.db-wal'].map((f) => readFileSync(join(dir, f)));
      for (const f of ['issuer.db', 'issuer.db-wal']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      const k = w.card.keyset()!;
      for (const secret of [k.enc, k.mac, k.dek, Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex')]) {
        for (const bytes of all) expect(bytes.includes(Buffer.from(secret))).toBe(false);
      }
    } finally {
      await w?.close();
      w = undefined;
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});

