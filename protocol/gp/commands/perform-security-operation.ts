import { buildCommandApdu } from '../../apdu/index.ts';

/** P1-P2 of PERFORM SECURITY OPERATION [compute digital signature] (ISO/IEC 7816-8 §5.2, 11.3): 9E 9A. */
export const PSO_COMPUTE_DIGITAL_SIGNATURE = { p1: 0x9e, p2: 0x9a } as const;

/** ISO/IEC 7816-4 §5.1.1.1: CLA b5 set = "not the last command of a chain". */
export const ISO_CHAINING_CLA_BIT = 0x10;

/**
 * PERFORM SECURITY OPERATION [compute digital signature] (ISO/IEC 7816-8 §11.3; the card-signed
 * request of reference §9.4): `00 2A 9E 9A Lc <data> 00`. Data longer than `maxChunk` travels in an
 * ISO command chain (ISO/IEC 7816-4 §5.1.1.1): CLA `10` and no Le on every command but the last,
 * CLA `00` and Le `00` on the last. Throws RangeError for empty data or a chunk size outside 1..255.
 */
export function buildComputeDigitalSignature(data: Uint8Array, maxChunk = 255): Uint8Array[] {
  if (!Number.isInteger(maxChunk) || maxChunk < 1 || maxChunk > 255) throw new RangeError(`chunk size ${maxChunk} is outside 1..255`);
  if (data.length === 0) throw new RangeError('COMPUTE DIGITAL SIGNATURE needs data to sign');
  const { p1, p2 } = PSO_COMPUTE_DIGITAL_SIGNATURE;
  const commands: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += maxChunk) {
    const last = offset + maxChunk >= data.length;
    const chunk = data.subarray(offset, offset + maxChunk);
    commands.push(buildCommandApdu({ cla: last ? 0x00 : ISO_CHAINING_CLA_BIT, ins: 0x2a, p1, p2, data: chunk, ne: last ? 256 : undefined }));
  }
  return commands;
}
