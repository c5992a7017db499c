import { buildTlv } from '../../tlv/index.ts';

export interface SecurityDomainFciOptions {
  aid: Uint8Array;
  /** Card Recognition Data (tag 73) reused as Security Domain Management Data (GPCS H.3). */
  managementData?: Uint8Array;
  /** Maximum length of the command data field, tag 9F65 (GPP uses it as LOAD block size). */
  maxCommandData: number;
}

/**
 * File Control Information of a Security Domain, the SELECT response (GPCS 11.9.3.1, Table 11-82):
 * `6F { 84 <AID>  A5 { [73 …] 9F65 <max data> } }`.
 */
export function buildSecurityDomainFci(opts: SecurityDomainFciOptions): Uint8Array {
  const proprietary = [];
  if (opts.managementData) proprietary.push(opts.managementData);
  proprietary.push(buildTlv(0x9f65, new Uint8Array([opts.maxCommandData & 0xff])));
  return buildTlv(0x6f, [buildTlv(0x84, opts.aid), buildTlv(0xa5, proprietary)]);
}
