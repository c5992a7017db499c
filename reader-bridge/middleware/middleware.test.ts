import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { createCard } from '../../simulator/index.ts';
import { ReaderError, type Reader } from '../reader.ts';
import { createSimReader } from '../sim-reader.ts';
import type { TraceEntry } from '../trace/trace-entry.ts';
import { withTrace } from '../trace/with-trace.ts';
import { withGetResponse } from './with-get-response.ts';
import { withLatency } from './with-latency.ts';

async function powered(): Promise<{ reader: Reader; trace: TraceEntry[] }> {
  const trace: TraceEntry[] = [];
  const reader = withTrace(createSimReader(createCard({ seed: 0 })), trace);
  await reader.powerOn();
  return { reader, trace };
}

/** A reader answering from a script: each command gets the next response. */
function scripted(responses: string[]): Reader & { sent: string[] } {
  const sent: string[] = [];
  return {
    name: 'scripted',
    sent,
    powerOn: async () => fromHex('3B00'),
    transmit: async (c) => (sent.push(toHex(c)), fromHex(responses.shift() ?? '6F00')),
    powerOff: async () => {},
    reset: async () => fromHex('3B00'),
    isCardPresent: () => true,
    on: () => () => {},
    close: async () => {},
  };
}

describe('withGetResponse (ISO 7816-4 §5.3.4, host side)', () => {
  it('follows 61xx with GET RESPONSE and returns the whole response', async () => {
    const { reader, trace } = await powered();
    const r = await withGetResponse(reader).transmit(fromHex('80CA9F7F'));
    expect(toHex(r)).toMatch(/^9F7F2A[0-9A-F]{84}9000$/);
    expect(trace.filter((e) => e.dir === 'C').map((e) => e.hex)).toEqual(['80CA9F7F', '00C000002D']);
    expect(trace.find((e) => e.dir === 'R')!.hex).toBe('612D');
  });

  it('resends the command with Le = xx after 6Cxx', async () => {
    const { reader, trace } = await powered();
    const r = await withGetResponse(reader).transmit(fromHex('80CA9F7F05'));
    expect(toHex(r)).toMatch(/^9F7F2A.*9000$/);
    expect(trace.filter((e) => e.dir === 'C').map((e) => e.hex)).toEqual(['80CA9F7F05', '80CA9F7F2D']);
  });

  it('concatenates several 61xx parts and keeps the channel bits of CLA', async () => {
    const card = scripted(['AABB6102', 'CCDD6101', 'EE9000']);
    expect(toHex(await withGetResponse(card).transmit(fromHex('81CA000000')))).toBe('AABBCCDDEE9000');
    expect(card.sent).toEqual(['81CA000000', '01C0000002', '01C0000001']);
  });

  it('gives up with TRANSPORT after 64 GET RESPONSE rounds', async () => {
    const card = scripted(Array.from({ length: 100 }, () => '006101'));
    const err = await withGetResponse(card).transmit(fromHex('00CA000000')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReaderError);
    expect((err as ReaderError).code).toBe('TRANSPORT');
    expect(card.sent).toHaveLength(65);
  });

  it('passes every other answer through untouched', async () => {
    const { reader } = await powered();
    expect(toHex(await withGetResponse(reader).transmit(fromHex('80CA00EE00')))).toBe('6A88');
  });
});

describe('withLatency', () => {
  it('delays each exchange by the given time and changes nothing else', async () => {
    const { reader } = await powered();
    const slow = withLatency(reader, 30);
    const start = performance.now();
    const r = await slow.transmit(fromHex('80CA004200'));
    expect(performance.now() - start).toBeGreaterThanOrEqual(28);
    expect(toHex(r)).toBe('420342434C9000');
    expect(slow.name).toBe(reader.name);
  });
});
