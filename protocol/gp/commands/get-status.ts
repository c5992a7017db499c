import { buildCommandApdu } from '../../apdu/index.ts';
import { buildTlv } from '../../tlv/index.ts';
import { concat } from '../../bytes.ts';

export interface GetStatusOptions {
  /** Subset (P1): 80 ISD, 40 applications, 20 load files, 10 load files and modules. */
  subset: number;
  /** P2 b1: fetch the next occurrences after a 6310. */
  next?: boolean;
  /** Search criterion: AID prefix (4F); empty = all. */
  aidPrefix?: Uint8Array;
  /** Tag list (5C): only these tags in each entry. */
  tags?: number[];
  /** Use the deprecated GP 2.1.1 response format (P2 00/01) instead of TLV (P2 02/03). */
  legacy?: boolean;
}

/** GET STATUS (GPCS 11.4): `80 F2 P1 P2 Lc 4F <prefix> [5C <tags>] 00`. */
export function buildGetStatus(o: GetStatusOptions): Uint8Array {
  const p2 = (o.legacy ? 0x00 : 0x02) | (o.next ? 0x01 : 0x00);
  const parts = [buildTlv(0x4f, o.aidPrefix ?? new Uint8Array(0))];
  if (o.tags) {
    const list = o.tags.flatMap((t) => (t > 0xff ? [t >> 8, t & 0xff] : [t]));
    parts.push(buildTlv(0x5c, new Uint8Array(list)));
  }
  return buildCommandApdu({ cla: 0x80, ins: 0xf2, p1: o.subset, p2, data: concat(...parts), ne: 256 });
}
