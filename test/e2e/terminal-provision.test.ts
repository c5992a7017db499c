import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { createSimReader, createReplayReader, replayTrace, type TraceEntry } from '../../reader-bridge/index.ts';
import { provision, type StepProgress } from '../../terminal/index.ts';
import { createCard, LOYALTY_APPLET_AID, STORE_KEY } from '../../simulator/index.ts';
import { startWorld, SERVICE_ID, type World } from '../servers/support/world.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('terminal: S1–S16 through the sim reader against the real servers', () => {
  it('provisions the loyalty service, one progress line per step, and the card holds the credited applet', async () => {
    const w = (world = await startWorld());
    w.outbox.start();
    const progress: StepProgress[] = [];
    const trace: TraceEntry[] = [];
    const result = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID, onProgress: (p) => progress.push(p), trace });
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('completed');
    expect(progress.map((p) => p.step)).toEqual(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14', 'S15', 'S16']);
    expect(progress.every((p) => p.status === 'done')).toBe(true);
    expect(result.serviceResponses).toEqual(['9000', '9000']);
    const balance = w.card.store.get(STORE_KEY.appData(LOYALTY_APPLET_AID, 'balance'));
    expect(toHex(balance!)).toBe('00000064');
    expect(trace.filter((e) => e.dir === 'C').length).toBeGreaterThan(10);

    // A second run: the issuer answers the install request 409 already_installed, so nothing is installed twice; the service is already started.
    const again = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID });
    expect(again.outcome).toBe('completed');
    expect(again.steps.filter((s) => s.status === 'skipped').map((s) => s.step)).toEqual(['S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14']);
    expect(again.serviceResponses).toEqual([]);
    expect(toHex(w.card.store.get(STORE_KEY.appData(LOYALTY_APPLET_AID, 'balance'))!)).toBe('00000064');
  });

  it('an unknown card passes collation (the issuer answers every card alike) and stops where it must prove itself: no certificate at S7', async () => {
    const w = (world = await startWorld());
    const stranger = createCard({ seed: 4242 });
    const result = await provision({ reader: createSimReader(stranger), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID });
    expect(result.outcome).toBe('failed');
    expect(result.steps.find((s) => s.step === 'S3')?.status).toBe('done');
    expect(result.error).toMatchObject({ step: 'S7', code: 'card' });
  });

  it('reports an unknown service at S5, naming what the provider offers', async () => {
    const w = (world = await startWorld());
    const result = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: 'no-such-service' });
    expect(result.error).toMatchObject({ step: 'S5', serverCode: 'unknown_service' });
    expect(result.error!.message).toContain(SERVICE_ID);
  });

  it('reports a dead issuer at S3 as a network error, after its retries', async () => {
    const w = (world = await startWorld());
    const result = await provision({ reader: createSimReader(w.card), issuerUrl: 'http://127.0.0.1:9', providerUrl: w.providerUrl, serviceId: SERVICE_ID, http: { attempts: 2, timeoutMs: 2000 } });
    expect(result.error).toMatchObject({ step: 'S3', code: 'network' });
    expect(result.error!.message).toMatch(/after 2 attempts/);
  });

  it('reports S15 when the provider is never told (no outbox worker), with its code', async () => {
    const w = (world = await startWorld());
    const result = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: SERVICE_ID, notificationTimeoutMs: 400 });
    expect(result.error).toMatchObject({ step: 'S15', code: 'not_notified', serverCode: 'not_a_member' });
    // The install itself is complete and confirmed.
    expect(result.steps.find((s) => s.step === 'S14')?.status).toBe('done');
  });

  it('the terminal runs again against a replay of the recorded card; a card answering one byte differently fails with an annotated diff', async () => {
    const w = (world = await startWorld());
    const trace: TraceEntry[] = [];
    // S1–S5 only (the provider offers nothing under this id): a card-side dialogue without server state.
    const first = await provision({ reader: createSimReader(w.card), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: 'none', trace });
    expect(first.error?.step).toBe('S5');
    const again = await provision({ reader: createReplayReader(trace), issuerUrl: w.issuerUrl, providerUrl: w.providerUrl, serviceId: 'none' });
    expect(again.error?.step).toBe('S5'); // the same dialogue, answered by the recording
    // Holding a changed card to the recording: the CIN differs by one byte.
    const other = createCard({ seed: 1, profile: { cin: '0102030405060708' } });
    const error = await replayTrace(createSimReader(other), trace).then(() => undefined, (e: Error) => e);
    expect(error?.message ?? '').toMatch(/GET DATA/);
    expect(error?.message ?? '').toMatch(/45/);
  });
});
