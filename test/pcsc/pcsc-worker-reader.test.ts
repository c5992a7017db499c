/**
 * The PC/SC reader in a worker thread, in one process with the card it talks to: the card is served
 * over vpcd from this test's main thread (serveCardOverVpcd) to a private pcscd (startPrivatePcscd:
 * the quickack namespace when permitted, else plain loopback on private vpcd ports), and
 * createPcscWorkerReader drives `Virtual PCD 00 00`. With the blocking `smartcard` calls in this thread
 * instead, pcscd would wait for the card's ATR answer forever. A missing package skips (fails under CI or CARDLAB_PCSC=1):
 * fails every test with what to install.
 */
import { pcscLane } from '../support/system-components.ts';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createCard } from '../../simulator/index.ts';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import {
  createPcscWorkerReader,
  createSimReader,
  diffTraces,
  encodeFrame,
  FrameDecoder,
  ReaderError,
  serveCardOverVpcd,
  startPrivatePcscd,
  withTrace,
  VPCD_CONTROL,
  VPCD_READER_NAME,
  type PcscWorkerReader,
  type PrivatePcscd,
  type TraceEntry,
  type VpcdCardServer,
} from '../../reader-bridge/index.ts';
import { runHostSession } from './host-session.ts';

let stack: PrivatePcscd | undefined;
let server: VpcdCardServer | undefined;
let reader: PcscWorkerReader | undefined;
let setupError: Error | undefined;
const card = createCard({ seed: 0 });

/** Skipped with the reason outside CI when pcscd, vpcd or the smartcard build is missing (test/support/system-components.ts). */
const lane = await pcscLane({ opensc: false });

beforeAll(async () => {
  if (lane.skip) return;
  try {
    stack = await startPrivatePcscd();
    console.log(`pcsc worker: private pcscd (${stack.mode})`);
    server = serveCardOverVpcd(card, { ...stack.cardEndpoint, backoff: { initialMs: 20, maxMs: 200 } });
    await server.whenConnected(10_000);
    reader = await createPcscWorkerReader({ reader: VPCD_READER_NAME, socket: stack.socket });
    await reader.waitForCard(true, 5_000);
  } catch (err) {
    setupError = err as Error;
  }
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await reader?.close();
  stack?.stop();
});

function ready(): PcscWorkerReader {
  if (setupError) throw setupError;
  return reader!;
}

describe.skipIf(lane.skip !== undefined)(`createPcscWorkerReader: PC/SC in a worker thread, the vpcd card served by the main thread${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  it('runs a host session (SELECT, GET DATA, 61xx, 6Cxx, extended Le, reset, SCP03 level 33) with the same bytes as the sim reader', async () => {
    const r = ready();
    const viaPcsc: TraceEntry[] = [];
    const viaSim: TraceEntry[] = [];
    const t0 = performance.now();
    const pcscAnswers = await runHostSession(withTrace(r, viaPcsc));
    const ms = performance.now() - t0;
    const simAnswers = await runHostSession(withTrace(createSimReader(createCard({ seed: 0 })), viaSim));
    const apdus = viaPcsc.filter((e) => e.dir === 'C').length;
    console.log(`pcsc worker: ${apdus} APDUs in ${ms.toFixed(0)} ms (${((apdus * 1000) / ms).toFixed(0)} APDU/s with power-on and reset)`);
    expect(diffTraces(viaSim, viaPcsc, { ignoreTimestamps: true, dirs: ['ATR', 'C', 'R'] })?.message).toBeUndefined();
    expect(pcscAnswers).toEqual(simAnswers);
    expect(apdus).toBeGreaterThanOrEqual(17);
  });

  it('re-creates ReaderErrors on the main side with their code and message', async () => {
    ready();
    const err = await createPcscWorkerReader({ reader: 'No Such Reader', socket: stack!.socket }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ReaderError);
    expect(err).toMatchObject({ code: 'NO_READER' });
    expect((err as Error).message).toMatch(/no PC\/SC reader named 'No Such Reader' \(pcscd knows: 'Virtual PCD 00 00'/);
  });

  it('refuses a second pcscd socket in the same process (pcsc-lite reads it once per process)', async () => {
    ready();
    await expect(createPcscWorkerReader({ reader: VPCD_READER_NAME, socket: '/tmp/elsewhere/pcscd.comm' })).rejects.toMatchObject({
      code: 'TRANSPORT',
      message: expect.stringMatching(/once per process/),
    });
  });

  it('sees the card leave and come back (events, presence), and an empty reader answers NO_CARD', async () => {
    const r = ready();
    const seen: string[] = [];
    const off = [r.on('card-removed', () => seen.push('removed')), r.on('card-inserted', () => seen.push('inserted'))];
    await r.powerOn();
    await server!.remove();
    await r.waitForCard(false, 3_000);
    expect(r.isCardPresent()).toBe(false);
    await expect(r.transmit(fromHex('00A4040000'))).rejects.toMatchObject({ code: expect.stringMatching(/^(NO_CARD|CARD_REMOVED)$/) });
    await expect(r.powerOn()).rejects.toBeInstanceOf(ReaderError);
    server!.insert();
    await r.waitForCard(true, 5_000);
    expect(toHex(await r.powerOn())).toBe(toHex(card.profile.atr));
    expect(toHex(await r.transmit(fromHex('00A4040000')))).toMatch(/^6F41.*9000$/);
    for (let t = Date.now(); seen.length < 2 && Date.now() - t < 2_000; ) await new Promise((res) => setTimeout(res, 20));
    expect(seen).toEqual(['removed', 'inserted']);
    off.forEach((f) => f());
  });

  it('a card that never answers a command: TIMEOUT after transmitTimeoutMs, and the reader works again once the card left', async () => {
    const r0 = ready();
    await server!.remove();
    await r0.waitForCard(false, 3_000);
    const mute = await serveMuteCard(stack!.cardEndpoint, card.profile.atr);
    const r = await createPcscWorkerReader({ reader: VPCD_READER_NAME, socket: stack!.socket, transmitTimeoutMs: 300 });
    try {
      await r.waitForCard(true, 5_000);
      await r.powerOn();
      const t0 = Date.now();
      await expect(r.transmit(fromHex('00A4040000'))).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(2_000);
      mute.destroy();
      await r.waitForCard(false, 3_000);
      server!.insert();
      await r.waitForCard(true, 5_000);
      await r.powerOn();
      expect(toHex(await r.transmit(fromHex('00A4040000')))).toMatch(/9000$/);
    } finally {
      mute.destroy();
      await r.close();
    }
  });
});

/** A card that answers vpcd's control messages (ATR) but never a C-APDU. */
async function serveMuteCard(endpoint: PrivatePcscd['cardEndpoint'], atr: Uint8Array): Promise<Socket> {
  const s = connect(endpoint as { path: string } & { host: string; port: number });
  const decoder = new FrameDecoder();
  s.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) if (frame.length === 1 && frame[0] === VPCD_CONTROL.GET_ATR) s.write(encodeFrame(atr));
  });
  s.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => (s.once('connect', resolve), s.once('error', reject)));
  return s;
}
