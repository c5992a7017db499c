import { concat } from '../bytes.ts';
import { buildTlv } from '../tlv/index.ts';
import { CapError } from './cap-error.ts';

/** A DAP block: the Security Domain that verifies it and the Load File Data Block Signature (GPCS C.3). */
export interface DapBlock {
  sdAid: Uint8Array;
  signature: Uint8Array;
}

/**
 * Builds the Load File that LOAD carries (GPCS 11.6.2.3, Table 11-58):
 * ```
 * E2 LL { 4F LL <SD AID>  C3 LL <Load File Data Block Signature> }   0..n DAP blocks, before the LFDB
 * C4 LL <Load File Data Block>
 * ```
 * Lengths are BER (`81 xx`, `82 xxxx`, …). The caller cuts the result into LOAD blocks anywhere.
 */
export function buildLoadFile(lfdb: Uint8Array, dapBlocks: readonly DapBlock[] = []): Uint8Array {
  const blocks = dapBlocks.map((dap, i) => {
    if (dap.sdAid.length < 5 || dap.sdAid.length > 16) throw new CapError('BAD_ARGUMENT', `DAP block ${i}: Security Domain AID length ${dap.sdAid.length} is outside 5..16`);
    if (dap.signature.length === 0) throw new CapError('BAD_ARGUMENT', `DAP block ${i}: the signature is empty`);
    return buildTlv(0xe2, [buildTlv(0x4f, dap.sdAid), buildTlv(0xc3, dap.signature)]);
  });
  return concat(...blocks, buildTlv(0xc4, lfdb));
}
