/**
 * Names of the BER-TLV tags a GlobalPlatform card and its host exchange (GPCS 11, Appendix H;
 * ETSI TS 102 226 for FF21; reference §2–§9), for describe() and for code that wants `TAG.CPLC`
 * rather than 0x9F7F. Some short context-specific tags mean different things under different
 * parents (81 in FF21 is a count, in 67 a privilege set), so names are looked up with the parent.
 */
export const TAG = {
  AID: 0x4f,
  DF_NAME: 0x84,
  FCI_TEMPLATE: 0x6f,
  FCI_PROPRIETARY: 0xa5,
  CARD_RECOGNITION_DATA: 0x73,
  CARD_DATA: 0x66,
  CARD_CAPABILITY_INFORMATION: 0x67,
  CPLC: 0x9f7f,
  IIN: 0x42,
  CIN: 0x45,
  KEY_INFORMATION_TEMPLATE: 0xe0,
  KEY_INFORMATION_DATA: 0xc0,
  EXTENDED_CARD_RESOURCES: 0xff21,
  REGISTRY_ENTRY: 0xe3,
  LIFE_CYCLE_STATE: 0x9f70,
  PRIVILEGES: 0xc5,
  ELF_AID: 0xc4,
  LOAD_FILE_DATA_BLOCK: 0xc4,
  ELF_VERSION: 0xce,
  ASSOCIATED_SD_AID: 0xcc,
  MAX_COMMAND_DATA_LENGTH: 0x9f65,
  APPLICATION_PRODUCTION_LIFE_CYCLE: 0x9f6e,
  SEQUENCE_COUNTER: 0xc1,
  CONFIRMATION_COUNTER: 0xc2,
  KEY_DERIVATION_DATA: 0xcf,
  CURRENT_SECURITY_LEVEL: 0xd3,
  CERTIFICATE: 0x7f21,
  TAG_LIST: 0x5c,
  /** GET DATA P1-P2 '2F00', retrieved with a tag list (5C) in the command data (GPCS 11.3.2.3). */
  LIST_OF_APPLICATIONS: 0x2f00,
  DAP_BLOCK: 0xe2,
  LOAD_FILE_DATA_BLOCK_SIGNATURE: 0xc3,
  SYSTEM_PARAMETERS: 0xef,
  APPLICATION_PARAMETERS: 0xc9,
  SIGNATURE_CRT: 0xb6,
  TOKEN_IDENTIFIER: 0x93,
  DELETE_TOKEN: 0x9e,
  APPLICATION_PROVIDER_ID: 0x5f20,
  SD_MANAGER_URL: 0x5f50,
  KEY_IDENTIFIER: 0xd0,
  KEY_VERSION_NUMBER: 0xd2,
} as const;

/** Names that hold wherever the tag appears. */
const GENERAL: Record<number, string> = {
  0x4f: 'AID', 0x84: 'DF name', 0x6f: 'FCI template', 0xa5: 'proprietary data',
  0x73: 'Card Recognition Data', 0x66: 'Card Data', 0x67: 'Card Capability Information', 0x9f7f: 'CPLC',
  0x42: 'IIN', 0x45: 'CIN', 0xe0: 'Key Information Template', 0xc0: 'key information data',
  0xff21: 'Extended Card Resources Information', 0xe3: 'GP registry entry', 0x9f70: 'life cycle state',
  0xc5: 'privileges', 0xc4: 'Load File Data Block', 0xce: 'Executable Load File version',
  0xcc: 'associated Security Domain AID', 0x9f65: 'max length of command data field',
  0x9f6e: 'application production life-cycle data', 0xc1: 'sequence counter', 0xc2: 'confirmation counter',
  0xcf: 'Key Derivation Data', 0xd3: 'current security level', 0x7f21: 'certificate', 0x5c: 'tag list',
  0xe2: 'DAP block', 0xc3: 'Load File Data Block signature', 0xd4: 'ciphered Load File Data Block',
  0xef: 'system-specific parameters', 0xc6: 'non-volatile code minimum memory requirement',
  0xc7: 'volatile data minimum memory requirement', 0xc8: 'non-volatile data minimum memory requirement',
  0xc9: 'application-specific parameters', 0xca: 'TS 102 226 parameters', 0xcb: 'global service parameters',
  0xcd: 'Load File Data Block format id', 0xdd: 'Load File Data Block parameters',
  0xd7: 'volatile reserved memory', 0xd8: 'non-volatile reserved memory', 0xd9: 'restrict parameter',
  0xea: 'TS 102 226 parameters', 0xb6: 'control reference template for digital signature',
  0x93: 'token identifier', 0x9e: 'delete token', 0x5f20: 'Application Provider identifier',
  0x5f50: 'Security Domain Manager URL', 0x61: 'application template', 0xd0: 'key identifier',
  0xd2: 'key version number', 0x06: 'object identifier', 0x60: 'GP version', 0x63: 'card identification scheme',
  0x64: 'Secure Channel Protocol', 0x65: 'card configuration details', 0xa0: 'SCP information',
};

/** Names that depend on the enclosing tag. */
const IN_CONTEXT: Record<number, Record<number, string>> = {
  0xff21: { 0x81: 'number of installed applications', 0x82: 'free non-volatile memory', 0x83: 'free volatile memory' },
  0xe3: { 0x84: 'Executable Module AID', 0xc4: 'Executable Load File AID', 0xcf: 'implicit selection parameter' },
  0xef: { 0xc7: 'volatile memory quota / minimum', 0xc8: 'non-volatile memory quota / minimum', 0xcf: 'implicit selection parameter' },
  0x73: { 0x66: 'card/chip details', 0x67: 'SCP10 trust point', 0x68: 'SCP10 certificate information' },
  0x67: {
    0x81: 'privileges assignable to SSDs', 0x82: 'privileges assignable to applications',
    0x83: 'LFDB hash algorithms', 0x84: 'LFDB encryption cipher suites', 0x85: 'token signature cipher suites',
    0x86: 'receipt cipher suites', 0x87: 'DAP cipher suites', 0x88: 'ECC key parameter references',
  },
  0xa0: { 0x80: 'SCP identifier', 0x81: 'SCP i parameters', 0x82: 'AES key lengths' },
  0xb6: { 0x42: 'token issuer IIN', 0x45: 'token issuer CIN', 0x93: 'token identifier' },
};

/** The spec name of a tag, read in the context of its parent's tag when one is given; undefined when unknown. */
export function tagName(tag: number, parentTag?: number): string | undefined {
  return (parentTag === undefined ? undefined : IN_CONTEXT[parentTag]?.[tag]) ?? GENERAL[tag];
}

/** Tag bytes in hex as specs print them: 0x9F7F → '9F7F', 0x4F → '4F'. */
export function tagHex(tag: number): string {
  const hex = tag.toString(16).toUpperCase();
  return hex.padStart(hex.length + (hex.length % 2), '0');
}
