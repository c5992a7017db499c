/**
 * The seed's flow S1–S16 through the real PC/SC stack against the real servers: the same provisioning
 * with the sim reader on one world and, on a second identical world (same seeds, same fixed clock), with
 * the world's card served over vpcd to a private pcscd from this thread and the terminal on
 * `Virtual PCD 00 00` through the PC/SC worker reader. Their card-side traces must be identical entry for
 * entry apart from timestamps. Then the card is pulled out (the served card disconnects) in the middle
 * of LOAD: the terminal reports the step and the card's absence; re-inserted, a rerun installs once.
 * A missing package skips the file with what to install, and fails it under CI or CARDLAB_PCSC=1.
 */
import { pcscLane } from '../support/system-components.ts';
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import {
  createPcscWorkerReader,
  createSimReader,
  diffTraces,
  serveCardOverVpcd,
  startPrivatePcscd,
  VPCD_READER_NAME,
  type PcscWorkerReader,
  type PrivatePcscd,
  type TraceEntry,
  type VpcdCardServer,
} from '../../reader-bridge/index.ts';
import { provision, type ProvisionResult } from '../../terminal/index.ts';
import { LOYALTY_APPLET_AID } from '../../simulator/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { startWorld, SERVICE_ID, type World } from '../servers/support/world.ts';

/**
 * Both worlds' servers live at this one instant (certificate validity included), so what they sign and
 * write to the card is equal byte for byte. Today's minute, as the issuer's CA is made with the wall clock.
 */
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const ALL_STEPS = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14', 'S15', 'S16'];
const INS_LOAD = 0xe8;

let stack: PrivatePcscd | undefined;
let setupError: Error | undefined;
const worlds: World[] = [];
const servers: VpcdCardServer[] = [];
const readers: PcscWorkerReader[] = [];

/** Skipped with the reason outside CI when pcscd, vpcd or the smartcard build is missing (test/support/system-components.ts). */
const lane = await pcscLane({ opensc: false });

beforeAll(async () => {
  if (lane.skip) return;
  try {
    stack = await startPrivatePcscd();
    console.log(`provision lane: private pcscd (${stack.mode})`);
  } catch (err) {
    setupError = err as Error;
  }
}, 30_000);

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const r of readers.splice(0)) {
    // Only once pcscd has seen the card go may the handle close and the next card come: a disconnect
    // racing the removal leaves vpcd's slot deaf to the next card (seen here, ~1 in 1).
    await r.waitForCard(false, 3_000).catch(() => undefined);
    await r.close();
  }
  for (const w of worlds.splice(0)) await w.close();
});

afterAll(() => stack?.stop());

async function world(): Promise<World> {
  const w = await startWorld({ now: NOW });
  worlds.push(w);
  w.outbox.start();
  return w;
}

/** The world's card served over vpcd from this thread; the terminal's reader is the PC/SC worker reader. */
async function overVpcd(w: World, onExchange?: (command: Uint8Array, server: VpcdCardServer) => void): Promise<{ reader: PcscWorkerReader; server: VpcdCardServer }> {
  if (setupError) throw setupError;
  const server: VpcdCardServer = serveCardOverVpcd(w.card, { ...stack!.cardEndpoint, backoff: { initialMs: 20, maxMs: 200 }, onExchange: (c) => onExchange?.(c, server) });
  servers.push(server);
  await server.whenConnected(10_000);
  const reader = await createPcscWorkerReader({ reader: VPCD_READER_NAME, socket: stack!.socket });
  readers.push(reader);
  await reader.waitForCard(true, 5_000);
  return { reader, server };
}

const run = (w: World, reader: Parameters<typeof provision>[0]['reader'], trace?: TraceEntry[]): Promise<ProvisionResult> =>
  provision({ reader, issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID, notificationTimeoutMs: 10_000, ...(trace ? { trace } : {}) });

const orders = (w: World) => Object.fromEntries(w.issuer.store.db.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM install_orders GROUP BY state').map((r) => [r.state, Number(r.n)]));

describe.skipIf(lane.skip !== undefined)(`provisioning lane: S1–S16 through pcscd and vpcd, the same as through the sim reader${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  it('completes S1–S16 both ways, with card-side traces identical entry for entry apart from timestamps', async () => {
    const viaSim: TraceEntry[] = [];
    const viaVpcd: TraceEntry[] = [];
    const a = await world();
    const simResult = await run(a, createSimReader(a.card), viaSim);
    const b = await world();
    const { reader } = await overVpcd(b);
    const t0 = performance.now();
    const vpcdResult = await run(b, reader, viaVpcd);
    const ms = performance.now() - t0;
    for (const r of [simResult, vpcdResult]) {
      expect(r.error).toBeUndefined();
      expect(r.steps.map((s) => `${s.step} ${s.status}`)).toEqual(ALL_STEPS.map((s) => `${s} done`));
    }
    const apdus = viaVpcd.filter((e) => e.dir === 'C').length;
    console.log(`provision lane: S1–S16 with ${apdus} APDUs through pcscd in ${ms.toFixed(0)} ms`);
    expect(viaVpcd.length).toBe(viaSim.length);
    expect(diffTraces(viaSim, viaVpcd, { ignoreTimestamps: true })?.message).toBeUndefined();
    expect(viaVpcd.map(({ t: _t, ...e }) => e)).toEqual(viaSim.map(({ t: _t, ...e }) => e));
    expect(apdus).toBeGreaterThan(20);
    expect(b.card.registry.applications().map((x) => toHex(x.aid))).toEqual([toHex(LOYALTY_APPLET_AID)]);
  });

  it('the card pulled out in the middle of LOAD: the terminal reports S12 and the card; re-inserted, a rerun installs exactly once', async () => {
    const w = await world();
    let loads = 0;
    const { reader, server } = await overVpcd(w, (command, s) => {
      // The card answers the 2nd LOAD block, and leaves the reader before the answer goes out.
      if (command[1] === INS_LOAD && ++loads === 2) void s.remove();
    });
    const failed = await run(w, reader);
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatchObject({ step: 'S12', code: 'card' });
    expect(failed.error!.message).toMatch(/stopped answering after \d+ of the issuer's APDUs \(CARD_REMOVED: .*\); the issuer ended the order \(install\/.*\/failed\/local_agent_error\)/);
    expect(failed.steps.at(-1)).toMatchObject({ step: 'S12', status: 'failed' });
    console.log(`provision lane: card removed during LOAD → ${failed.error!.step} ${failed.error!.code}${failed.error!.serverCode ? ` (${failed.error!.serverCode})` : ''}: ${failed.error!.message}`);
    expect(loads).toBe(2);
    expect(w.card.registry.applications()).toEqual([]);
    expect(orders(w).confirmed ?? 0).toBe(0);

    await reader.waitForCard(false, 3_000);
    server.insert();
    await reader.waitForCard(true, 5_000);
    const again = await run(w, reader);
    expect(again.error).toBeUndefined();
    expect(again.outcome).toBe('completed');
    expect(orders(w).confirmed).toBe(1);
    expect(w.card.registry.applications().map((x) => toHex(x.aid))).toEqual([toHex(LOYALTY_APPLET_AID)]);
    expect(w.card.registry.loadFiles().map((x) => toHex(x.aid))).toContain('F0434152444C');
  });
});
