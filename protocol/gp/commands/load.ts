import type { DapBlock } from '../../cap/load-file.ts';
import { buildCommandApdu } from '../../apdu/index.ts';
import { parseTlv } from '../../tlv/index.ts';

/** LOAD numbers its blocks in one byte (GPCS 11.6.2.2), so a Load File travels in at most 256 blocks. */
export const MAX_LOAD_BLOCKS = 256;

/**
 * Cuts a Load File into LOAD blocks of `blockSize` bytes, the last one shorter (GPCS 11.6; blocks may
 * end inside a TLV header, reference §7.1). 239 leaves room for C-DEC padding and an 8-byte C-MAC
 * (GPP). Throws RangeError for an empty Load File, a block size outside 1..255, or more than 256 blocks.
 */
export function splitLoadFile(loadFile: Uint8Array, blockSize = 239): Uint8Array[] {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 255) throw new RangeError(`LOAD block size ${blockSize} is outside 1..255`);
  if (loadFile.length === 0) throw new RangeError('the Load File is empty');
  const count = Math.ceil(loadFile.length / blockSize);
  if (count > MAX_LOAD_BLOCKS) throw new RangeError(`a Load File of ${loadFile.length} bytes needs ${count} blocks of ${blockSize}; LOAD numbers at most ${MAX_LOAD_BLOCKS}`);
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) blocks.push(loadFile.subarray(i * blockSize, (i + 1) * blockSize));
  return blocks;
}

/**
 * The LOAD commands for a Load File (GPCS 11.6, Table 11-56): `80 E8 P1 P2 Lc <block> 00` with
 * P1 `00` (more blocks) or `80` (last block) and P2 the block number `00`..`FF`.
 */
export function buildLoadCommands(loadFile: Uint8Array, blockSize = 239): Uint8Array[] {
  const blocks = splitLoadFile(loadFile, blockSize);
  return blocks.map((data, n) => buildCommandApdu({ cla: 0x80, ins: 0xe8, p1: n === blocks.length - 1 ? 0x80 : 0x00, p2: n, data, ne: 256 }));
}

/** A DAP block of a Load File (Table 11-58); built by `buildLoadFile` in protocol/cap. */
export type DapBlockEntry = DapBlock;

/** Why a reassembled Load File was refused; the card answers `6A80`. */
export class LoadFileError extends Error {
  override readonly name = 'LoadFileError';
}

/**
 * Parses a reassembled Load File (GPCS Table 11-58): zero or more `E2 { 4F C3 }` DAP blocks, then
 * exactly one `C4` plain Load File Data Block and nothing after it. Ciphered LFDBs (`D3`/`D4`,
 * GPCS C.6) are refused. Throws LoadFileError.
 */
export function parseLoadFile(loadFile: Uint8Array): { dapBlocks: DapBlockEntry[]; loadFileDataBlock: Uint8Array } {
  let objects;
  try {
    objects = parseTlv(loadFile);
  } catch (error) {
    throw new LoadFileError(`the Load File is not BER-TLV: ${(error as Error).message}`);
  }
  const last = objects[objects.length - 1];
  if (last?.tag !== 0xc4) throw new LoadFileError('the Load File does not end with a C4 Load File Data Block');
  const dapBlocks = objects.slice(0, -1).map((o) => {
    if (o.tag !== 0xe2) throw new LoadFileError(`unexpected tag ${o.tag.toString(16).toUpperCase()} before the Load File Data Block`);
    let inner;
    try {
      inner = parseTlv(o.value);
    } catch (error) {
      throw new LoadFileError(`a DAP block is not BER-TLV: ${(error as Error).message}`);
    }
    if (inner.length !== 2 || inner[0]!.tag !== 0x4f || inner[1]!.tag !== 0xc3) throw new LoadFileError('a DAP block must hold exactly 4F <SD AID> C3 <signature>');
    return { sdAid: inner[0]!.value, signature: inner[1]!.value };
  });
  return { dapBlocks, loadFileDataBlock: last.value };
}
