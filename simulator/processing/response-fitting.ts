import type { CommandApdu } from '../../protocol/apdu/index.ts';

/** The two status bytes alone. Status words the card answers often are built once. */
const STATUS_CACHE = new Map<number, Uint8Array>();
export function status(sw: number): Uint8Array {
  let bytes = STATUS_CACHE.get(sw);
  if (!bytes) {
    bytes = Uint8Array.of(sw >> 8, sw & 0xff);
    if (STATUS_CACHE.size < 512) STATUS_CACHE.set(sw, bytes);
  }
  return bytes.slice();
}

/**
 * Responses above 64 bytes are carved out of a shared 64 KB slab: V8 allocates a typed array of that size
 * outside its heap (about 1.25 µs against 55 ns), the cost of most of a SELECT. Each response is a view of
 * its own bytes (`byteOffset`, `length`), never reused, as Node's `Buffer.allocUnsafe` pool does; its
 * `.buffer` is the slab.
 */
const SLAB_SIZE = 64 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabOffset = 0;
function allocate(length: number): Uint8Array {
  if (length <= 64 || length > SLAB_SIZE / 8) return new Uint8Array(length);
  if (slabOffset + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
  }
  const view = new Uint8Array(slab, slabOffset, length);
  // Keep views 8-byte aligned, as the allocator would.
  slabOffset += (length + 7) & ~7;
  return view;
}

/** data ‖ SW1 SW2 in one new array. */
export function withSw(data: Uint8Array, sw: number): Uint8Array {
  const out = allocate(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** What the card answers now, and what it keeps for GET RESPONSE. */
export interface FittedResponse {
  rapdu: Uint8Array;
  /** Rest of the response (data ‖ SW) for GET RESPONSE, when it did not fit. */
  pending: Uint8Array | undefined;
}

/**
 * Fits a response to Le (ISO 7816-4 §5.3.4): all of it when Ne allows; 6Cxx (exact length) for a
 * read-only command asking fewer bytes, since resending it gives the same answer; otherwise the first
 * part and 61xx for GET RESPONSE. A command without Le that has response data answers 61xx (the T=0
 * convention, which hosts handle anyway).
 */
export function fitResponse(apdu: CommandApdu, data: Uint8Array, sw: number, readOnly: boolean): FittedResponse {
  const len = data.length;
  if (len === 0) return { rapdu: status(sw), pending: undefined };
  const max = apdu.extended ? 65536 : 256;
  const ne = apdu.ne;
  if (ne !== undefined && ne >= len && len <= max) return { rapdu: withSw(data, sw), pending: undefined };
  if (ne !== undefined && readOnly && len <= 256 && ne < len) return { rapdu: status(0x6c00 | (len & 0xff)), pending: undefined };
  const first = ne === undefined ? 0 : Math.min(ne, max);
  return { rapdu: withSw(data.subarray(0, first), 0x6100 | (Math.min(len - first, 256) & 0xff)), pending: withSw(data.subarray(first), sw) };
}

/** GET RESPONSE over the pending bytes: the next Ne bytes (61xx while more remain) or the rest with the original SW. */
export function continueResponse(pending: Uint8Array, ne: number | undefined): FittedResponse {
  const rest = pending.length - 2;
  const n = ne ?? 256;
  if (n >= rest) return { rapdu: pending, pending: undefined };
  const left = pending.subarray(n);
  return { rapdu: withSw(pending.subarray(0, n), 0x6100 | (Math.min(left.length - 2, 256) & 0xff)), pending: left };
}
