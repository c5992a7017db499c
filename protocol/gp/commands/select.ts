import { buildCommandApdu } from '../../apdu/index.ts';

/**
 * SELECT by name (GPCS 11.9): `00 A4 04 00 Lc <AID> 00`, or `… 04 02 …` for the next occurrence of a
 * partial AID. With no AID, the card selects its default application (the ISD after ATR).
 */
export function buildSelect(aid?: Uint8Array, options: { next?: boolean } = {}): Uint8Array {
  return buildCommandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: options.next ? 0x02 : 0x00, data: aid ?? new Uint8Array(0), ne: 256 });
}
