import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { buildGetBalance } from '../../protocol/loyalty/index.ts';
import { createSimReader, type TraceEntry } from '../../reader-bridge/index.ts';
import { LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID } from '../../simulator/index.ts';
import { provision } from '../../terminal/index.ts';
import { ADMIN_TOKEN, SERVICE_ID, startWorld, type World } from '../servers/support/world.ts';

let world: World | undefined;
let restoreFetch: (() => void) | undefined;
afterEach(async () => {
  restoreFetch?.();
  restoreFetch = undefined;
  await world?.close();
  world = undefined;
});

/**
 * Loses the answers of the terminal's calls to paths matching `path`, `times` times: `after` the
 * server processed the request (the answer is lost on the way back) or `before` it reached it.
 */
function loseAnswers(rules: Array<{ path: RegExp; times: number; when: 'before' | 'after' }>): string[] {
  const real = globalThis.fetch;
  const lost: string[] = [];
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const rule = rules.find((r) => r.times > 0 && r.path.test(url.pathname));
    if (!rule) return real(input, init);
    rule.times--;
    lost.push(`${rule.when} ${url.pathname}`);
    if (rule.when === 'after') await (await real(input, init)).arrayBuffer();
    throw new TypeError('fetch failed');
  };
  restoreFetch = () => (globalThis.fetch = real);
  return lost;
}

/** GET BALANCE `80 5C 00 00 06` on the loyalty applet: balance (4) ‖ counter (2) ‖ SW. */
function balance(w: World): string {
  w.card.transmit(buildSelect(LOYALTY_APPLET_AID));
  return toHex(w.card.transmit(buildGetBalance()));
}

/** The CREDIT [once] commands the card received, each with the card's answer (the next R entry). */
const credits = (trace: TraceEntry[]) =>
  trace.flatMap((e, i) => (e.dir === 'C' && e.hex.startsWith('805201') ? [{ command: e.hex, answer: trace.slice(i + 1).find((r) => r.dir === 'R')?.hex }] : []));

describe('terminal S16: a lost answer anywhere in the service start credits exactly once', () => {
  it('the first start answer and the first acknowledgement answer lost: completed, balance 100 once', async () => {
    const w = (world = await startWorld());
    w.outbox.start();
    const lost = loseAnswers([
      { path: /\/start$/, times: 1, when: 'after' },
      { path: /\/start\/ack$/, times: 1, when: 'after' },
    ]);
    const trace: TraceEntry[] = [];
    const result = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID, trace, http: { attempts: 3, timeoutMs: 5000 } });
    expect(lost).toEqual([`after /services/${SERVICE_ID}/start`, `after /services/${SERVICE_ID}/start/ack`]);
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('completed');
    expect(balance(w)).toBe('0000006400019000');
    expect(credits(trace)).toHaveLength(1);
    expect(w.provider.store.db.all('SELECT state FROM members')).toEqual([{ state: 'active' }]);
  });

  it('an acknowledgement that never reached the provider: the same commands again, the card applies the repeat as a no-op', async () => {
    const w = (world = await startWorld());
    w.outbox.start();
    loseAnswers([{ path: /\/start\/ack$/, times: 1, when: 'before' }]);
    const trace: TraceEntry[] = [];
    const result = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID, trace, http: { attempts: 3, timeoutMs: 5000 } });
    expect(result.outcome).toBe('completed');
    const sent = credits(trace);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.command).toBe(sent[0]!.command);
    expect(sent.map((c) => c.answer)).toEqual(['0000006400019000', '0000006400019000']);
    expect(balance(w)).toBe('0000006400019000');
  });

  it('a second provisioning of the same card: S8–S14 skipped (already_installed), the service already active, nothing credited again', async () => {
    const w = (world = await startWorld());
    w.outbox.start();
    const first = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID });
    expect(first.outcome).toBe('completed');
    const again = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID });
    expect(again.outcome).toBe('completed');
    expect(again.steps.filter((s) => s.status === 'skipped').map((s) => s.step)).toEqual(['S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14']);
    expect(again.serviceResponses).toEqual([]);
    expect(balance(w)).toBe('0000006400019000');
  });
});

describe('after the application was deleted and installed again', () => {
  it('the card joins the service again with a start of its own: the fresh applet gets its opening credit once', async () => {
    const w = (world = await startWorld());
    w.issuer.deps.onNotificationQueued = () => w.outbox.wake();
    w.outbox.start();
    const run = () => provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID, http: { attempts: 3, timeoutMs: 5000 } });
    expect((await run()).outcome).toBe('completed');
    expect(balance(w)).toBe('000000640001' + '9000');
    const first = (await w.provider.store.getMember(SERVICE_ID, w.cin))!;

    // The issuer's tooling deleted the application; its record says so. The next order's script deletes
    // what is on the card (the DELETE of leftovers) and installs a fresh instance.
    const removed = await fetch(`${w.issuerUrl}/admin/cards/${w.cardId}/contents/${toHex(LOYALTY_PACKAGE_AID)}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(removed.status).toBe(200);
    const again = await run();
    expect(again.error).toBeUndefined();
    expect(balance(w)).toBe('000000640001' + '9000');
    const second = (await w.provider.store.getMember(SERVICE_ID, w.cin))!;
    expect(second.orderId).not.toBe(first.orderId);
    expect(second.state).toBe('active');
    // A third notification for the same (now active) order changes nothing.
    expect((await w.provider.store.listMembers(SERVICE_ID)).length).toBe(1);
  });
});
