import { toHex, fromHex } from '../../bytes.ts';

/**
 * Card Production Life Cycle data (tag 9F7F), 42 bytes: who made the chip and the OS, who
 * personalised the card, and when. Not in GPCS 2.3.1 itself (Visa/Open Platform heritage) but
 * answered by most real cards; field layout as GlobalPlatformPro `CPLC.Field` and
 * globalplatform `OPGP_parse_cplc` (reference §3.3).
 */
export const CPLC_FIELDS = [
  ['icFabricator', 2, 'IC fabricator'],
  ['icType', 2, 'IC type'],
  ['osIdentifier', 2, 'Operating system identifier'],
  ['osReleaseDate', 2, 'Operating system release date'],
  ['osReleaseLevel', 2, 'Operating system release level'],
  ['icFabricationDate', 2, 'IC fabrication date'],
  ['icSerialNumber', 4, 'IC serial number'],
  ['icBatchIdentifier', 2, 'IC batch identifier'],
  ['icModuleFabricator', 2, 'IC module fabricator'],
  ['icModulePackagingDate', 2, 'IC module packaging date'],
  ['iccManufacturer', 2, 'ICC manufacturer'],
  ['icEmbeddingDate', 2, 'IC embedding date'],
  ['icPrePersonalizer', 2, 'IC pre-personalizer'],
  ['icPrePersoEquipmentDate', 2, 'IC pre-perso equipment date'],
  ['icPrePersoEquipmentId', 4, 'IC pre-perso equipment identifier'],
  ['icPersonalizer', 2, 'IC personalizer'],
  ['icPersonalizationDate', 2, 'IC personalization date'],
  ['icPersonalizationEquipmentId', 4, 'IC personalization equipment identifier'],
] as const;

export type CplcFieldName = (typeof CPLC_FIELDS)[number][0];
/** CPLC as named fields, each an upper-case hex string of the field's exact width. */
export type Cplc = Record<CplcFieldName, string>;

export const CPLC_LENGTH = 42;

/** Parses the 42-byte CPLC value (without the 9F7F tag and length). */
export function parseCplc(value: Uint8Array): Cplc {
  if (value.length !== CPLC_LENGTH) throw new RangeError(`CPLC must be ${CPLC_LENGTH} bytes, got ${value.length}`);
  const out: Partial<Cplc> = {};
  let off = 0;
  for (const [name, len] of CPLC_FIELDS) {
    out[name] = toHex(value.subarray(off, off + len));
    off += len;
  }
  return out as Cplc;
}

/** Builds the 42-byte CPLC value from fields; a missing field is zero. Throws on a field of the wrong width. */
export function buildCplc(fields: Partial<Cplc>): Uint8Array {
  const out = new Uint8Array(CPLC_LENGTH);
  let off = 0;
  for (const [name, len] of CPLC_FIELDS) {
    const v = fields[name];
    if (v !== undefined) {
      const bytes = fromHex(v);
      if (bytes.length !== len) throw new RangeError(`CPLC field ${name} must be ${len} bytes, got ${bytes.length}`);
      out.set(bytes, off);
    }
    off += len;
  }
  return out;
}

/** One line per field, `IC fabricator: 4790`, for annotated traces. */
export function describeCplc(value: Uint8Array): string[] {
  if (value.length !== CPLC_LENGTH) return [`CPLC of ${value.length} bytes (expected ${CPLC_LENGTH})`];
  const lines: string[] = [];
  let off = 0;
  for (const [, len, label] of CPLC_FIELDS) {
    lines.push(`${label}: ${toHex(value.subarray(off, off + len))}`);
    off += len;
  }
  return lines;
}
