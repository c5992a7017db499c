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
  /** Confirmation Counter, 2 bytes: the value the next receipt carries (GPCS 11.1.6, reference §9.3). */
  CONFIRMATION_COUNTER: 'card/confirmation-counter',
  /** The card's own signing key: curve byte (00 P-256, 01 brainpoolP256r1) ‖ 32-byte private key. */
  CARD_KEY: 'card/key',
  /** The card's X.509 certificate (DER), issued by the card issuer's CA at personalisation. */
  CARD_CERTIFICATE: 'card/certificate',
  /** Registry entry of a loaded Executable Load File (TLV record). */
  elf: (aid: Uint8Array) => `elf/${toHex(aid)}`,
  /** The Load File Data Block of a loaded ELF: the code, exactly as received in C4. */
  elfCode: (aid: Uint8Array) => `elf/${toHex(aid)}/lfdb`,
  /** Registry entry of an application instance (TLV record). */
  app: (aid: Uint8Array) => `app/${toHex(aid)}`,
  /** A named persistent field of an application instance (applet model state). */
  appData: (aid: Uint8Array, name: string) => `app/${toHex(aid)}/data/${name}`,
} as const;

export const KEYSET_PREFIX = 'isd/keyset/';
export const ELF_PREFIX = 'elf/';
export const APP_PREFIX = 'app/';
