import { buildCommandApdu } from '../../apdu/index.ts';
import { concat } from '../../bytes.ts';
import { buildTlv, parseOneTlv, TlvError, type Tlv } from '../../tlv/index.ts';

/**
 * DELETE of card content (GPCS 11.2, Table 11-22): `80 E4 00 P2 Lc 4F <L> <AID> [9E <L> <token>] 00`
 * with P2 `00` (the object only) or `80` (the object and its related objects: an ELF with its
 * applications).
 */
export function buildDelete(aid: Uint8Array, options: { related?: boolean; token?: Uint8Array } = {}): Uint8Array {
  const parts = [buildTlv(0x4f, aid)];
  if (options.token) parts.push(buildTlv(0x9e, options.token));
  return buildCommandApdu({ cla: 0x80, ins: 0xe4, p1: 0x00, p2: options.related ? 0x80 : 0x00, data: concat(...parts), ne: 256 });
}

/** DELETE of keys (GPCS 11.2.2.3, Table 11-24): `D0 01 <key id>` and/or `D2 01 <KVN>`. */
export function buildDeleteKey(o: { keyId?: number; kvn?: number }): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.keyId !== undefined) parts.push(buildTlv(0xd0, Uint8Array.of(o.keyId)));
  if (o.kvn !== undefined) parts.push(buildTlv(0xd2, Uint8Array.of(o.kvn)));
  if (parts.length === 0) throw new RangeError('DELETE of keys needs a key identifier, a key version number or both');
  return buildCommandApdu({ cla: 0x80, ins: 0xe4, p1: 0x00, p2: 0x00, data: concat(...parts), ne: 256 });
}

/** Why a DELETE data field was refused; `offset` is where in the data field. The card answers `6A80`. */
export class DeleteDataError extends Error {
  override readonly name = 'DeleteDataError';

  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} (at byte ${offset} of the DELETE data)`);
  }
}

/**
 * The DELETE data field: card content by AID (with the optional `B6` CRT and `9E` delete token of
 * Delegated Management), or keys by identifier and/or version number.
 */
export type DeleteData =
  | { target: 'content'; aid: Uint8Array; crt?: Uint8Array; token?: Uint8Array; keyId?: undefined; kvn?: undefined }
  | { target: 'key'; aid?: undefined; keyId?: number; kvn?: number };

/**
 * Parses a DELETE data field (GPCS 11.2.2.3, Tables 11-23/11-24) strictly: card content is
 * `4F <AID 5–16> [B6 <CRT>] [9E <token>]` in that order; keys are `D0 01 <key id>` and/or
 * `D2 01 <KVN>`, each at most once. Anything else, a repeated tag or a mix of the two forms is a
 * DeleteDataError (→ 6A80).
 */
export function parseDeleteData(data: Uint8Array): DeleteData {
  // Each object with the offset of its tag, so an error can point at it.
  const objects: Array<Tlv & { start: number }> = [];
  for (let offset = 0; offset < data.length; ) {
    try {
      const { tlv, next } = parseOneTlv(data, offset);
      objects.push({ ...tlv, start: offset });
      offset = next;
    } catch (error) {
      if (error instanceof TlvError) throw new DeleteDataError(`not BER-TLV: ${error.message}`, error.offset);
      throw error;
    }
  }
  const at = (t: Tlv) => t.value.byteOffset - data.byteOffset;
  if (objects.length === 0) throw new DeleteDataError('empty DELETE data', 0);
  const first = objects[0]!;
  if (first.tag === 0x4f) {
    if (first.value.length < 5 || first.value.length > 16) throw new DeleteDataError(`AID of ${first.value.length} bytes is not 5–16`, at(first));
    const out: DeleteData = { target: 'content', aid: first.value };
    let i = 1;
    if (objects[i]?.tag === 0xb6) out.crt = objects[i++]!.value;
    if (objects[i]?.tag === 0x9e) out.token = objects[i++]!.value;
    if (i < objects.length) throw new DeleteDataError(`unexpected tag ${objects[i]!.tag.toString(16).toUpperCase()} after the AID`, objects[i]!.start);
    return out;
  }
  const out: DeleteData = { target: 'key' };
  for (const t of objects) {
    if (t.tag !== 0xd0 && t.tag !== 0xd2) throw new DeleteDataError(`tag ${t.tag.toString(16).toUpperCase()} is neither 4F, D0 nor D2`, t.start);
    if (t.value.length !== 1) throw new DeleteDataError(`${t.tag === 0xd0 ? 'key identifier' : 'key version number'} must be 1 byte`, at(t));
    const field = t.tag === 0xd0 ? 'keyId' : 'kvn';
    if (out[field] !== undefined) throw new DeleteDataError(`${t.tag.toString(16).toUpperCase()} given twice`, t.start);
    out[field] = t.value[0]!;
  }
  return out;
}
