/**
 * Instruction bytes of the commands a GlobalPlatform card sees (GPCS 11, Table 11-22; ISO 7816-4 §5.1
 * for the interindustry ones) and the display names the specs print for them.
 */
export const INS = {
  SELECT: 0xa4,
  GET_DATA: 0xca,
  GET_DATA_ODD: 0xcb,
  GET_STATUS: 0xf2,
  GET_RESPONSE: 0xc0,
  INITIALIZE_UPDATE: 0x50,
  EXTERNAL_AUTHENTICATE: 0x82,
  INTERNAL_AUTHENTICATE: 0x88,
  INSTALL: 0xe6,
  LOAD: 0xe8,
  DELETE: 0xe4,
  SET_STATUS: 0xf0,
  PUT_KEY: 0xd8,
  STORE_DATA: 0xe2,
  MANAGE_CHANNEL: 0x70,
  MANAGE_SECURITY_ENVIRONMENT: 0x22,
  PERFORM_SECURITY_OPERATION: 0x2a,
  GET_CHALLENGE: 0x84,
  BEGIN_RMAC_SESSION: 0x7a,
  END_RMAC_SESSION: 0x78,
  ENVELOPE: 0xc2,
  VERIFY: 0x20,
  READ_BINARY: 0xb0,
  READ_RECORD: 0xb2,
  UPDATE_BINARY: 0xd6,
  PUT_DATA: 0xda,
} as const;

const INS_NAMES: Record<number, string> = {
  [INS.SELECT]: 'SELECT',
  [INS.GET_DATA]: 'GET DATA',
  [INS.GET_DATA_ODD]: 'GET DATA',
  [INS.GET_STATUS]: 'GET STATUS',
  [INS.GET_RESPONSE]: 'GET RESPONSE',
  [INS.INITIALIZE_UPDATE]: 'INITIALIZE UPDATE',
  [INS.EXTERNAL_AUTHENTICATE]: 'EXTERNAL AUTHENTICATE',
  [INS.INTERNAL_AUTHENTICATE]: 'INTERNAL AUTHENTICATE',
  [INS.INSTALL]: 'INSTALL',
  [INS.LOAD]: 'LOAD',
  [INS.DELETE]: 'DELETE',
  [INS.SET_STATUS]: 'SET STATUS',
  [INS.PUT_KEY]: 'PUT KEY',
  [INS.STORE_DATA]: 'STORE DATA',
  [INS.MANAGE_CHANNEL]: 'MANAGE CHANNEL',
  [INS.MANAGE_SECURITY_ENVIRONMENT]: 'MANAGE SECURITY ENVIRONMENT',
  [INS.PERFORM_SECURITY_OPERATION]: 'PERFORM SECURITY OPERATION',
  [INS.GET_CHALLENGE]: 'GET CHALLENGE',
  [INS.BEGIN_RMAC_SESSION]: 'BEGIN R-MAC SESSION',
  [INS.END_RMAC_SESSION]: 'END R-MAC SESSION',
  [INS.ENVELOPE]: 'ENVELOPE',
  [INS.VERIFY]: 'VERIFY',
  [INS.READ_BINARY]: 'READ BINARY',
  [INS.READ_RECORD]: 'READ RECORD',
  [INS.UPDATE_BINARY]: 'UPDATE BINARY',
  [INS.PUT_DATA]: 'PUT DATA',
};

/** INSTALL P1 with the chaining bit b8 cleared → the bracketed role (GPCS 11.5.2.1, Table 11-40). */
const INSTALL_ROLES: Record<number, string> = {
  0x02: 'for load',
  0x04: 'for install',
  0x08: 'for make selectable',
  0x0c: 'for install and make selectable',
  0x0e: 'for load, install and make selectable',
  0x10: 'for extradition',
  0x20: 'for personalization',
  0x40: 'for registry update',
};

/** PERFORM SECURITY OPERATION P1-P2 → operation (ISO/IEC 7816-8 §5.2). */
const PSO_OPERATIONS: Record<number, string> = {
  0x9e9a: 'compute digital signature',
  0x00a8: 'verify digital signature',
  0x90a0: 'hash',
  0x00ae: 'verify certificate',
  0x8086: 'decipher',
  0x8680: 'encipher',
  0x8e80: 'compute cryptographic checksum',
  0x00a2: 'verify cryptographic checksum',
};

/**
 * The spec's display name of a command, e.g. 'INSTALL [for load]' (GPCS 11.5.2.1; P1 b8, the GP
 * chaining flag of §11.1.5.1, is ignored) or 'PERFORM SECURITY OPERATION [compute digital signature]'
 * (ISO 7816-8). The class byte does not change the name: `84 E6` is INSTALL just like `80 E6`.
 * Unknown instructions read 'INS xx'.
 */
export function commandName(cla: number, ins: number, p1: number, p2: number): string {
  if (ins === INS.INSTALL) {
    const role = INSTALL_ROLES[p1 & 0x7f];
    return role ? `INSTALL [${role}]` : 'INSTALL';
  }
  if (ins === INS.PERFORM_SECURITY_OPERATION) {
    const op = PSO_OPERATIONS[(p1 << 8) | p2];
    return op ? `PERFORM SECURITY OPERATION [${op}]` : 'PERFORM SECURITY OPERATION';
  }
  return INS_NAMES[ins] ?? `INS ${(ins & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
}
