import { buildCommandApdu } from '../../apdu/index.ts';

/**
 * SET STATUS (GPCS 11.10) of the card itself: `80 F0 80 <state>`, no data. Moves the card life cycle
 * (e.g. 0F SECURED, 7F CARD_LOCKED, FF TERMINATED).
 */
export function buildSetCardStatus(state: number): Uint8Array {
  return buildCommandApdu({ cla: 0x80, ins: 0xf0, p1: 0x80, p2: state });
}

/** SET STATUS of an application or Security Domain: `80 F0 40 <80 lock | 00 unlock> Lc <AID>`. */
export function buildSetApplicationStatus(aid: Uint8Array, lock: boolean): Uint8Array {
  return buildCommandApdu({ cla: 0x80, ins: 0xf0, p1: 0x40, p2: lock ? 0x80 : 0x00, data: aid });
}
