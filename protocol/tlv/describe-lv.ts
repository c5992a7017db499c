import { toHex } from '../bytes.ts';
import { parseTlv } from './ber-tlv.ts';
import { byteCount, describeTlvTree, shortHex, type DescribeTlvOptions } from './describe-tlv.ts';
import { readBerLv, readLv } from './lv.ts';
import { privilegeNames } from './value-notes.ts';

/** One field of an LV-coded data field: its name ('' for a field the spec keeps empty) and how to read it. */
export interface LvField {
  name: string;
  /** BER length (parameters, tokens) instead of a one-byte length (AIDs, hashes, privileges). */
  ber?: boolean;
  /** 'tlv' shows the value as a BER-TLV tree, 'privileges' names the privileges (GPCS 11.1.2). */
  kind?: 'tlv' | 'privileges';
}

/** A labelled value as hex, or as an indented BER-TLV tree when it parses as one. */
export function describeValue(label: string, value: Uint8Array, options: DescribeTlvOptions = {}): string[] {
  try {
    const list = parseTlv(value);
    if (list.length > 0) return [`${label} (${byteCount(value.length)}):`, ...describeTlvTree(list, options, undefined, '  ')];
  } catch {
    // not BER-TLV: shown as hex below
  }
  return [`${label} (${byteCount(value.length)}): ${shortHex(value)}`];
}

/**
 * One line per field of concatenated LV fields, the coding of GP command data such as INSTALL
 * (GPCS 11.5.2.3). Throws TlvError when the data does not hold the fields (the caller falls back to hex).
 */
export function describeLvFields(data: Uint8Array, fields: readonly LvField[], options: DescribeTlvOptions = {}): string[] {
  const lines: string[] = [];
  let offset = 0;
  for (const field of fields) {
    const { value, next } = field.ber ? readBerLv(data, offset) : readLv(data, offset);
    offset = next;
    const label = field.name || 'empty field';
    if (value.length === 0) lines.push(`${label}: (none)`);
    else if (field.kind === 'tlv') lines.push(...describeValue(label, value, options));
    else if (field.kind === 'privileges') lines.push(`${label}: ${toHex(value)} = ${privilegeNames(value).join(', ') || 'none'}`);
    else lines.push(`${label}: ${shortHex(value)}`);
  }
  if (offset < data.length) lines.push(`trailing bytes: ${toHex(data.subarray(offset))}`);
  return lines;
}
