import { toHex } from '../protocol/bytes.ts';

/**
 * Names of the card's persistent objects. Every one is charged its exact value length plus the
 * store's per-object overhead, so FF21 reports what personalisation and content really use.
 */
export const STORE_KEY = {
  /** Card life cycle state, 1 byte (GPCS Table 11-6). */
  LIFE_CYCLE: 'card/life-cycle',
  /** Card Production Life Cycle data, 42 bytes. */
  CPLC: 'card/cplc',
  /** Issuer Identification Number (tag 42 value). */
  IIN: 'card/iin',
  /** Card Image Number (tag 45 value). */
  CIN: 'card/cin',
  /** Privileges of the ISD, 3 bytes. */
  ISD_PRIVILEGES: 'isd/privileges',
  /** SCP03 keyset: ENC ‖ MAC ‖ DEK. */
  keyset: (kvn: number) => `isd/keyset/${toHex(new Uint8Array([kvn]))}`,
  /** SCP03 sequence counter of a keyset, 3 bytes big-endian (AMD-D 6.2.2.1). */
  sequenceCounter: (kvn: number) => `isd/seq/${toHex(new Uint8Array([kvn]))}`,
} as const;

export const KEYSET_PREFIX = 'isd/keyset/';
