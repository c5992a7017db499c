/**
 * vpcd framing (vsmartcard's virtual smart card protocol): every message in both directions is a
 * 2-byte big-endian length, then that many bytes. A 1-byte message from the driver is a control
 * message; anything longer is a C-APDU.
 */

/** The largest payload a frame can carry; vpcd drops the card on anything larger. */
export const MAX_FRAME_PAYLOAD = 0xffff;

/** The driver's control messages (1-byte frames). Only GET_ATR wants an answer. */
export const VPCD_CONTROL = { POWER_OFF: 0x00, POWER_ON: 0x01, RESET: 0x02, GET_ATR: 0x04 } as const;

/** Length-prefixes one payload (length and payload in a single buffer, so it leaves in one write). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) throw new RangeError('a vpcd frame must not be empty: vpcd has no timeout and its client would hang');
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`a vpcd frame carries at most ${MAX_FRAME_PAYLOAD} bytes, not ${payload.length}`);
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/**
 * Reassembles frames from a byte stream that TCP may cut anywhere: vpcd writes the length and the
 * payload in two `send()` calls, and several frames can also arrive in one chunk.
 */
export class FrameDecoder {
  private buffer = new Uint8Array(0);

  /** Adds received bytes; returns every frame now complete, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    let buf = this.buffer.length === 0 ? chunk : concat2(this.buffer, chunk);
    const frames: Uint8Array[] = [];
    while (buf.length >= 2) {
      const length = (buf[0]! << 8) | buf[1]!;
      if (buf.length < 2 + length) break;
      frames.push(buf.slice(2, 2 + length));
      buf = buf.subarray(2 + length);
    }
    // Keep a copy: `chunk` belongs to the socket and may be reused.
    this.buffer = buf.slice();
    return frames;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.buffer.length;
  }
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
