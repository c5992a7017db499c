import { buildTlv } from '../../tlv/index.ts';
import { concat } from '../../bytes.ts';

/** The GlobalPlatform OID arc 1.2.840.114283 in DER: every Card Recognition Data OID starts with it (GPCS H.2). */
export const GP_OID_PREFIX = new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b]);

export interface CardRecognitionOptions {
  /** GlobalPlatform version, e.g. '2.3.1' (each part must be below 128: one OID arc byte each). */
  gpVersion: string;
  /** Secure channel protocol of the ISD, e.g. 0x03. */
  scp: number;
  /** SCP implementation option `i`, e.g. 0x70 (kept below 0x80 so it is one arc byte, reference §3.4). */
  i: number;
}

function oid(...arcs: number[]): Uint8Array {
  for (const a of arcs) if (a < 0 || a > 0x7f) throw new RangeError(`OID arc ${a} does not fit one byte`);
  return buildTlv(0x06, concat(GP_OID_PREFIX, new Uint8Array(arcs)));
}

/**
 * Card Recognition Data, tag 73 (GPCS H.2): the GP recognition OID, the GP version, "card identified by
 * IIN and CIN", and the ISD's secure channel protocol with its `i` parameter. Returned inside the
 * Card Data (66) of GET DATA and in the ISD's FCI (SD Management Data).
 */
export function buildCardRecognitionData(opts: CardRecognitionOptions): Uint8Array {
  const version = opts.gpVersion.split('.').map((p) => Number.parseInt(p, 10));
  if (version.some((v) => !Number.isInteger(v))) throw new RangeError(`bad GlobalPlatform version '${opts.gpVersion}'`);
  return buildTlv(0x73, [
    oid(1),
    buildTlv(0x60, oid(2, ...version)),
    buildTlv(0x63, oid(3)),
    buildTlv(0x64, oid(4, opts.scp, opts.i)),
  ]);
}

/** Card Data (tag 66) wrapping Card Recognition Data: the answer to GET DATA 0066 (GPCS 11.3.3.1). */
export function buildCardData(opts: CardRecognitionOptions): Uint8Array {
  return buildTlv(0x66, buildCardRecognitionData(opts));
}
