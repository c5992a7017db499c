import { buildTlv, parseTlv, findTlv } from '../../tlv/index.ts';
import { u16, u32, readUint } from '../../bytes.ts';

/** Extended Card Resources Information (FF21, ETSI TS 102 226 §8.2.1.7.2), as numbers. */
export interface CardResources {
  installedApplications: number;
  freeNonVolatileMemory: number;
  freeVolatileMemory: number;
}

/**
 * Builds FF21 { 81 <apps, 2 bytes> 82 <free NVM, 4 bytes> 83 <free RAM, 4 bytes> } — the widths real
 * cards use (reference §3.7).
 */
export function buildCardResources(r: CardResources): Uint8Array {
  return buildTlv(0xff21, [
    buildTlv(0x81, u16(r.installedApplications)),
    buildTlv(0x82, u32(r.freeNonVolatileMemory)),
    buildTlv(0x83, u32(r.freeVolatileMemory)),
  ]);
}

/** Parses an FF21 TLV (tag included) or its value; any width of 81/82/83 is accepted. */
export function parseCardResources(bytes: Uint8Array): CardResources {
  let list = parseTlv(bytes);
  const outer = findTlv(list, 0xff21);
  if (outer) list = parseTlv(outer.value);
  const num = (tag: number): number => {
    const t = findTlv(list, tag);
    if (!t) throw new RangeError(`FF21 lacks tag ${tag.toString(16)}`);
    return readUint(t.value);
  };
  return { installedApplications: num(0x81), freeNonVolatileMemory: num(0x82), freeVolatileMemory: num(0x83) };
}
