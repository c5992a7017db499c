import { buildCommandApdu } from '../../apdu/index.ts';

/**
 * GET DATA (GPCS 11.3): `80 CA <tag> 00` answers the whole TLV; with `iso: true` (`00 CA …`) only the value.
 * Tags of one byte are sent as P1 = 00, P2 = tag.
 */
export function buildGetData(tag: number, options: { iso?: boolean } = {}): Uint8Array {
  return buildCommandApdu({ cla: options.iso ? 0x00 : 0x80, ins: 0xca, p1: (tag >> 8) & 0xff, p2: tag & 0xff, ne: 256 });
}
