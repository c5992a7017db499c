import { toHex } from '../bytes.ts';
import { parseTlv, type Tlv } from './ber-tlv.ts';
import { tagHex, tagName } from './tags.ts';
import { valueNote } from './value-notes.ts';

/** Turns a value into lines shown under its TLV line (describe() plugs the CPLC field list in here). */
export type ValueDescriber = (value: Uint8Array) => string[];

export interface DescribeTlvOptions {
  /** Extra decoders by tag, for data objects this folder does not know the layout of. */
  describers?: Readonly<Record<number, ValueDescriber>>;
  /** Value bytes shown in hex before the rest is elided with '…' (default 64). */
  maxBytes?: number;
}

const STEP = '  ';

/** Value hex, elided past `max` bytes: a trace line should stay readable even for a 4 KiB LFDB. */
export function shortHex(value: Uint8Array, max = 64): string {
  return value.length > max ? `${toHex(value.subarray(0, max))}…` : toHex(value);
}

/** '1 byte', '42 bytes'. */
export function byteCount(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}

function childrenOf(tlv: Tlv): Tlv[] | undefined {
  if (tlv.children) return tlv.children;
  if (!tlv.constructed) return undefined;
  try {
    return parseTlv(tlv.value);
  } catch {
    return undefined; // content that is not BER-TLV is shown as hex, not as an error
  }
}

/**
 * An indented tree of BER-TLV objects (ISO 7816-4 §5.2) for annotated traces:
 * `9F7F CPLC (42 bytes): 4790D6…`, constructed objects with their children one level deeper,
 * tag names from tags.ts read in their parent's context and short value readings (FF21 counts in
 * decimal, privileges by name). Never throws.
 */
export function describeTlvTree(list: readonly Tlv[], options: DescribeTlvOptions = {}, parentTag?: number, indent = ''): string[] {
  const lines: string[] = [];
  for (const tlv of list) {
    const name = tagName(tlv.tag, parentTag);
    const head = `${indent}${tagHex(tlv.tag)}${name ? ` ${name}` : ''} (${byteCount(tlv.value.length)})`;
    const children = childrenOf(tlv);
    if (children && children.length > 0) {
      lines.push(head);
      lines.push(...describeTlvTree(children, options, tlv.tag, indent + STEP));
      continue;
    }
    const note = valueNote(tlv.tag, parentTag, tlv.value);
    lines.push(`${head}${tlv.value.length ? `: ${shortHex(tlv.value, options.maxBytes)}` : ''}${note ? ` = ${note}` : ''}`);
    const describer = options.describers?.[tlv.tag];
    if (describer) {
      try {
        lines.push(...describer(tlv.value).map((l) => indent + STEP + l));
      } catch {
        // a describer that rejects the value leaves the hex line alone
      }
    }
  }
  return lines;
}
