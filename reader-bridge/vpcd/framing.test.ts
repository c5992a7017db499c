import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder, encodeFrame, MAX_FRAME_PAYLOAD } from './framing.ts';

describe('vpcd framing (2-byte big-endian length, then the payload)', () => {
  it('encodes length and payload in one buffer', () => {
    expect([...encodeFrame(Uint8Array.of(0x04))]).toEqual([0x00, 0x01, 0x04]);
    expect(encodeFrame(new Uint8Array(0x1234)).subarray(0, 2)).toEqual(Uint8Array.of(0x12, 0x34));
  });

  it('refuses an empty frame (the client would hang) and one over 65,535 bytes (vpcd drops the card)', () => {
    expect(() => encodeFrame(new Uint8Array(0))).toThrow(/must not be empty/);
    expect(() => encodeFrame(new Uint8Array(MAX_FRAME_PAYLOAD + 1))).toThrow(/at most 65535/);
  });

  it('waits for a frame split after its length bytes, and inside its length', () => {
    const d = new FrameDecoder();
    expect(d.push(Uint8Array.of(0x00))).toEqual([]);
    expect(d.push(Uint8Array.of(0x05))).toEqual([]);
    expect(d.pending).toBe(2);
    expect(d.push(Uint8Array.of(0x00, 0xa4, 0x04))).toEqual([]);
    expect(d.push(Uint8Array.of(0x00, 0x00, 0x00, 0x01))).toEqual([Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x00)]);
    expect(d.pending).toBe(2);
    expect(d.push(Uint8Array.of(0x04))).toEqual([Uint8Array.of(0x04)]);
    expect(d.pending).toBe(0);
  });

  it('returns every frame of any byte stream cut anywhere, in order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
          const d = new FrameDecoder();
          const got: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...d.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(d.pending).toBe(0);
        },
      ),
    );
  });
});
