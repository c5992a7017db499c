/**
 * The shapes of a command and a response APDU (ISO/IEC 7816-4 §5.1). Codecs live in
 * command-apdu.ts / response-apdu.ts; this file only names the fields every party shares.
 */

/** ISO 7816-4 command cases: 1 no data/no Le, 2 Le only, 3 data only, 4 data and Le. */
export type ApduCase = 1 | 2 | 3 | 4;

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data field (Nc bytes); empty for cases 1 and 2. */
  data: Uint8Array;
  /**
   * Ne, the maximum number of response bytes expected, or `undefined` when Le is absent
   * (cases 1 and 3). A short Le of `00` is 256; an extended Le of `0000` is 65536.
   */
  ne: number | undefined;
  /** True when Lc/Le were coded in the extended (3-byte / 2-byte) form. */
  extended: boolean;
}

export interface ResponseApdu {
  data: Uint8Array;
  /** SW1-SW2 as one 16-bit number, e.g. 0x9000. */
  sw: number;
}
