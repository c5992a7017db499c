/**
 * The one status-word table of cardlab: value, name, meaning (as the reference §13 words it) and the
 * spec that defines it. `SW` is derived from it so a name can never drift from its value.
 */
const SW_DEFINITIONS = {
  SUCCESS: [0x9000, 'success', 'ISO 7816-4 §5.6'],
  CHANNEL_CLOSED: [0x6200, 'logical channel already closed', 'GPCS 11.7 (MANAGE CHANNEL)'],
  PART_OF_DATA_CORRUPTED: [0x6281, 'part of returned data may be corrupted', 'ISO 7816-4 §5.6'],
  END_OF_DATA_REACHED: [0x6282, 'end of file or record reached before reading Ne bytes', 'ISO 7816-4 §5.6'],
  CARD_LOCKED_WARNING: [0x6283, 'card life cycle CARD_LOCKED (warning)', 'GPCS Table 11-83'],
  AUTH_FAILED: [0x6300, 'authentication of host cryptogram failed', 'GPCS Table D-9'],
  MORE_DATA_AVAILABLE: [0x6310, 'more data available', 'GPCS 11.4 (GET STATUS)'],
  NO_SPECIFIC_DIAGNOSIS: [0x6400, 'no specific diagnosis', 'GPCS Table 11-10'],
  IMPORTED_PACKAGE_NOT_AVAILABLE: [0x6438, 'imported package not available', 'Java Card (GPCS Table 11-55 practice)'],
  MEMORY_FAILURE: [0x6581, 'memory failure', 'GPCS Table 11-55'],
  WRONG_LENGTH: [0x6700, 'wrong length (Lc)', 'GPCS Table 11-10'],
  FUNCTIONS_IN_CLA_NOT_SUPPORTED: [0x6800, 'functions in CLA not supported', 'ISO 7816-4 §5.6'],
  LOGICAL_CHANNEL_NOT_SUPPORTED: [0x6881, 'logical channel not supported / not open', 'GPCS Table 11-10'],
  SECURE_MESSAGING_NOT_SUPPORTED: [0x6882, 'secure messaging not supported', 'GPCS Table 11-84'],
  LAST_COMMAND_EXPECTED: [0x6883, 'last command of the chain expected', 'ISO 7816-4 §5.6'],
  COMMAND_CHAINING_NOT_SUPPORTED: [0x6884, 'command chaining not supported', 'ISO 7816-4 §5.6'],
  COMMAND_NOT_ALLOWED: [0x6900, 'command not allowed', 'ISO 7816-4 §5.6'],
  COMMAND_INCOMPATIBLE: [0x6981, 'command incompatible with file structure', 'ISO 7816-4 §5.6'],
  SECURITY_STATUS_NOT_SATISFIED: [0x6982, 'security status not satisfied', 'GPCS Table 11-10'],
  AUTH_METHOD_BLOCKED: [0x6983, 'authentication method blocked', 'ISO 7816-4 §5.6'],
  REFERENCE_DATA_NOT_USABLE: [0x6984, 'reference data not usable', 'ISO 7816-4 §5.6'],
  CONDITIONS_NOT_SATISFIED: [0x6985, 'conditions of use not satisfied', 'GPCS Table 11-10'],
  COMMAND_NOT_ALLOWED_NO_EF: [0x6986, 'command not allowed (no current EF)', 'ISO 7816-4 §5.6'],
  SM_DATA_OBJECTS_MISSING: [0x6987, 'expected secure messaging data objects missing', 'ISO 7816-4 §5.6'],
  SM_DATA_OBJECTS_INCORRECT: [0x6988, 'incorrect secure messaging data objects', 'ISO 7816-4 §5.6'],
  SELECTION_FAILED: [0x6999, 'applet selection failed', 'Java Card ISO7816.SW_APPLET_SELECT_FAILED'],
  INCORRECT_DATA: [0x6a80, 'incorrect values in command data', 'GPCS Table 11-55'],
  FUNCTION_NOT_SUPPORTED: [0x6a81, 'function not supported', 'GPCS Table 11-84'],
  FILE_NOT_FOUND: [0x6a82, 'application/file not found', 'GPCS Table 11-84'],
  RECORD_NOT_FOUND: [0x6a83, 'record not found', 'ISO 7816-4 §5.6'],
  NOT_ENOUGH_MEMORY: [0x6a84, 'not enough memory space', 'GPCS Table 11-55'],
  NC_INCONSISTENT_WITH_TLV: [0x6a85, 'Nc inconsistent with TLV structure', 'ISO 7816-4 §5.6'],
  INCORRECT_P1P2: [0x6a86, 'incorrect P1 P2', 'GPCS Table 11-10'],
  NC_INCONSISTENT_WITH_P1P2: [0x6a87, 'Nc inconsistent with P1-P2', 'ISO 7816-4 §5.6'],
  REFERENCED_DATA_NOT_FOUND: [0x6a88, 'referenced data not found', 'GPCS Table 11-31'],
  FILE_ALREADY_EXISTS: [0x6a89, 'file already exists', 'ISO 7816-4 §5.6'],
  DF_NAME_ALREADY_EXISTS: [0x6a8a, 'DF name already exists', 'ISO 7816-4 §5.6'],
  WRONG_P1P2: [0x6b00, 'wrong parameters P1-P2', 'ISO 7816-4 §5.6'],
  INS_NOT_SUPPORTED: [0x6d00, 'INS not supported', 'GPCS Table 11-10'],
  CLA_NOT_SUPPORTED: [0x6e00, 'CLA not supported', 'GPCS Table 11-10'],
  NO_PRECISE_DIAGNOSIS: [0x6f00, 'no precise diagnosis', 'ISO 7816-4 §5.6'],
  ALGORITHM_NOT_SUPPORTED: [0x9484, 'algorithm not supported (deprecated, use 6A80)', 'GPCS Table 11-78'],
  INVALID_KEY_CHECK_VALUE: [0x9485, 'invalid key check value (deprecated, use 6982)', 'GPCS Table 11-78'],
} as const;

export type SwName = keyof typeof SW_DEFINITIONS;
export interface SwEntry {
  sw: number;
  name: SwName;
  meaning: string;
  ref: string;
}

/** Status words by name, e.g. `SW.FILE_NOT_FOUND` = 0x6A82. */
export const SW = Object.fromEntries(Object.entries(SW_DEFINITIONS).map(([name, [sw]]) => [name, sw])) as {
  readonly [K in SwName]: (typeof SW_DEFINITIONS)[K][0];
};

/** Every named status word with its meaning and spec reference (reference §13, ISO 7816-4 §5.6). */
export const SW_TABLE: readonly SwEntry[] = Object.entries(SW_DEFINITIONS).map(([name, [sw, meaning, ref]]) => ({
  sw,
  name: name as SwName,
  meaning,
  ref,
}));

const BY_VALUE = new Map<number, SwEntry>(SW_TABLE.map((e) => [e.sw, e]));

/** Four upper-case hex digits, the way traces and specs print a status word: `swHex(0x6a82)` → '6A82'. */
export function swHex(sw: number): string {
  return (sw & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** The table entry of an exactly named status word, or undefined for a range value like 61xx. */
export function swEntry(sw: number): SwEntry | undefined {
  return BY_VALUE.get(sw);
}

/**
 * The symbolic name of a status word: its table name, or for ISO 7816-4 §5.6 ranges
 * MORE_BYTES_AVAILABLE (61xx), WRONG_LE (6Cxx), COUNTER (63Cx), APPLICATION_SPECIFIC (9xxx); else 'UNKNOWN'.
 */
export function swName(sw: number): string {
  const entry = BY_VALUE.get(sw);
  if (entry) return entry.name;
  const sw1 = sw >> 8;
  if (sw1 === 0x61) return 'MORE_BYTES_AVAILABLE';
  if (sw1 === 0x6c) return 'WRONG_LE';
  if ((sw & 0xfff0) === 0x63c0) return 'COUNTER';
  if (sw1 >= 0x90 && sw1 <= 0x9f) return 'APPLICATION_SPECIFIC';
  return 'UNKNOWN';
}

/** ISO 7816-4 §5.6 Table 5: what SW1 alone says, for status words not in the table. */
const SW1_FAMILY: Record<number, string> = {
  0x62: 'warning: state of non-volatile memory unchanged',
  0x63: 'warning: state of non-volatile memory changed',
  0x64: 'execution error: state of non-volatile memory unchanged',
  0x65: 'execution error: state of non-volatile memory changed',
  0x66: 'security-related issue',
  0x67: 'wrong length',
  0x68: 'functions in CLA not supported',
  0x69: 'command not allowed',
  0x6a: 'wrong parameters P1-P2',
  0x6b: 'wrong parameters P1-P2',
  0x6d: 'INS not supported',
  0x6e: 'CLA not supported',
  0x6f: 'no precise diagnosis',
};

/**
 * Human meaning of a status word (reference §13, ISO 7816-4 §5.6): the table text, or the decoded
 * range — 61xx "xx more response bytes available" (00 = 256), 6Cxx "wrong Le, exact length xx",
 * 63Cx "counter x", 9xxx application-specific — or the SW1 family.
 */
export function swMeaning(sw: number): string {
  const entry = BY_VALUE.get(sw);
  if (entry) return entry.meaning;
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  if (sw1 === 0x61) return `${sw2 === 0 ? 256 : sw2} more response bytes available (GET RESPONSE)`;
  if (sw1 === 0x6c) return `wrong Le: exact length is ${sw2 === 0 ? 256 : sw2}`;
  if ((sw & 0xfff0) === 0x63c0) return `verification failed, counter ${sw & 0x0f}`;
  if (sw1 >= 0x90 && sw1 <= 0x9f) return 'application-specific status';
  return SW1_FAMILY[sw1] ?? 'unknown status word';
}

/** Normal processing per ISO 7816-4 §5.6: 9000, or 61xx (the data is complete once fetched with GET RESPONSE). */
export function isSuccess(sw: number): boolean {
  return sw === 0x9000 || sw >> 8 === 0x61;
}
