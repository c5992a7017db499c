export { TlvError, type TlvErrorCode } from './tlv-error.ts';
export { encodeBerLength, decodeBerLength, encodeTag, decodeTag } from './ber-length.ts';
export {
  parseTlv,
  parseOneTlv,
  parseSingleTlv,
  buildTlv,
  encodeTlv,
  findTlv,
  findAll,
  MAX_TLV_DEPTH,
  type Tlv,
  type ParseTlvOptions,
} from './ber-tlv.ts';
export { readLv, readBerLv, lv, berLv } from './lv.ts';
export { TAG, tagName, tagHex } from './tags.ts';
export { privilegeNames, keyInformationNote, oidNote, valueNote } from './value-notes.ts';
export { describeTlvTree, shortHex, byteCount, type ValueDescriber, type DescribeTlvOptions } from './describe-tlv.ts';
export { describeLvFields, describeValue, type LvField } from './describe-lv.ts';
