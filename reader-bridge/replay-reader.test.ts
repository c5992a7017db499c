import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { createCard, type Card } from '../simulator/index.ts';
import { ReaderError, type Reader } from './reader.ts';
import { createReplayReader, replayTrace } from './replay-reader.ts';
import { createSimReader } from './sim-reader.ts';
import { toAnnotatedText } from './trace/annotated-text.ts';
import { toJsonLines } from './trace/json-lines.ts';
import { diffTraces } from './trace/trace-diff.ts';
import type { TraceEntry } from './trace/trace-entry.ts';
import { withTrace } from './trace/with-trace.ts';

const SESSION = ['00A4040000', '80CA9F7F00', '80CA004200', '80CAFF2100'].map(fromHex);

/** The host's part: what a terminal would do with any reader. */
async function session(reader: Reader): Promise<string[]> {
  const out = [toHex(await reader.powerOn())];
  for (const c of SESSION) out.push(toHex(await reader.transmit(c)));
  await reader.powerOff();
  return out;
}

async function record(card: Card = createCard({ seed: 0 })): Promise<TraceEntry[]> {
  const trace: TraceEntry[] = [];
  await session(withTrace(createSimReader(card), trace));
  return trace;
}

async function rejection(p: Promise<unknown>): Promise<ReaderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ReaderError);
  return err as ReaderError;
}

describe('replay reader', () => {
  it('plays the card of a recorded trace: same host, same answers (JSON lines and annotated text)', async () => {
    const trace = await record();
    const live = await session(createSimReader(createCard({ seed: 0 })));
    for (const source of [trace, toJsonLines(trace), toAnnotatedText(trace)]) {
      const replay = createReplayReader(source);
      const again: TraceEntry[] = [];
      expect(await session(withTrace(replay, again))).toEqual(live);
      replay.assertComplete();
      expect(diffTraces(trace, again, { ignoreTimestamps: true })).toBeUndefined();
    }
  });

  it('throws REPLAY_DIVERGED naming the APDU, with the expected exchange and the command it got, annotated', async () => {
    const replay = createReplayReader(await record());
    await replay.powerOn();
    await replay.transmit(SESSION[0]!);
    const err = await rejection(replay.transmit(fromHex('80CA00CF00')));
    expect(err.code).toBe('REPLAY_DIVERGED');
    expect(err.message).toMatch(/^replay diverged at APDU #2 \(trace entry 4\): the command differs at byte 2 \(expected 9F, got 00\)/);
    expect(err.message).toMatch(/expected:\n {2}>> 80 CA 9F 7F 00\n {2}# GET DATA.*\n(.*\n)* {2}<< 9F 7F 2A/);
    expect(err.message).toMatch(/got:\n {2}>> 80 CA 00 CF 00\n {2}# GET DATA/);
  });

  it('replays recorded errors: a power loss comes back as POWER_LOSS at the same command', async () => {
    const card = createCard({ seed: 0 });
    const trace: TraceEntry[] = [];
    const reader = withTrace(createSimReader(card), trace);
    await reader.powerOn();
    card.onPersistentWrite(() => 'tear');
    await reader.transmit(fromHex('8050000008112233445566778800')).catch(() => undefined);
    const replay = createReplayReader(toAnnotatedText(trace));
    await replay.powerOn();
    expect((await rejection(replay.transmit(fromHex('8050000008112233445566778800')))).code).toBe('POWER_LOSS');
  });

  it('says so when the host stops early or goes on after the end of the trace', async () => {
    const replay = createReplayReader(await record());
    await replay.powerOn();
    await replay.transmit(SESSION[0]!);
    expect(() => replay.assertComplete()).toThrow(/host stopped with 3 APDU\(s\) of the trace not sent/);
    for (const c of SESSION.slice(1)) await replay.transmit(c);
    expect((await rejection(replay.transmit(SESSION[0]!))).message).toMatch(/the trace has the event power-off here, the host sent a command/);
    await replay.powerOff();
    replay.assertComplete();
    expect((await rejection(replay.transmit(SESSION[0]!))).message).toMatch(/the trace has ended, the host sent another command/);
  });

  it('holds another card to a recorded dialogue: one different byte fails with an annotated diff naming the APDU', async () => {
    const trace = await record();
    await expect(replayTrace(createSimReader(createCard({ seed: 0 })), trace)).resolves.toHaveLength(trace.length);
    // A card that answers GET DATA 42 (IIN) one byte differently.
    const odd = createCard({ seed: 0 });
    const oddReader: Reader = {
      ...createSimReader(odd),
      transmit: async (c) => (toHex(c) === '80CA004200' ? fromHex('420342434D9000') : odd.transmit(c)),
    };
    const err = await rejection(replayTrace(oddReader, toJsonLines(trace)));
    expect(err.code).toBe('REPLAY_DIVERGED');
    expect(err.message).toMatch(/traces part at APDU #3 \(entry 7, the response\)/);
    expect(err.message).toMatch(/expected:\n {2}>> 80 CA 00 42 00\n(.*\n)* {2}<< 42 03 42 43 4C 90 00\ngot:\n {2}>> 80 CA 00 42 00\n(.*\n)* {2}<< 42 03 42 43 4D 90 00/);
  });
});
