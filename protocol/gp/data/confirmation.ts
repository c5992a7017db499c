import { concat, u16, readU16 } from '../../bytes.ts';
import { berLv, readBerLv, lv } from '../../tlv/index.ts';

/**
 * Confirmation of a card content management operation (GPCS 11.1.6, Tables 11-13/11-14; C.5):
 * `<BER L total> <BER L receipt> <receipt> <confirmation data>`, where the confirmation data is
 * `02 <counter 2 bytes> <L> <SD unique data> [<L> <token id>] [<L> <token digest>]`.
 * A response of the single byte `00` means "no confirmation".
 */
export interface Confirmation {
  /** The receipt: an AES-CMAC (16 bytes) or a signature (ECDSA r‖s, 64 bytes for 256-bit curves). */
  receipt: Uint8Array;
  /** The confirmation data bytes exactly as received (the receipt's message starts with them). */
  confirmationData: Uint8Array;
  counter: number;
  /** SIN ‖ SDIN: the `42` and `45` values of the receipt-generating SD, i.e. IIN ‖ CIN for the ISD. */
  sdUniqueData: Uint8Array;
  tokenIdentifier?: Uint8Array;
  tokenDataDigest?: Uint8Array;
}

export class ConfirmationError extends Error {
  override readonly name = 'ConfirmationError';
}

/** Builds the confirmation data: `02 <counter> <L> <SD unique data>` (GPCS Table 11-14). */
export function buildConfirmationData(counter: number, sdUniqueData: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0x02]), u16(counter), lv(sdUniqueData));
}

/** Builds the whole confirmation response data: `<L total> <L receipt> <receipt> <confirmation data>`. */
export function buildConfirmation(receipt: Uint8Array, confirmationData: Uint8Array): Uint8Array {
  return berLv(concat(berLv(receipt), confirmationData));
}

/**
 * Parses INSTALL / LOAD / DELETE response data into a confirmation; `undefined` for the `00` "no
 * confirmation" answer. Strict: anything that is not exactly the layout above is a ConfirmationError.
 */
export function parseConfirmation(data: Uint8Array): Confirmation | undefined {
  if (data.length === 1 && data[0] === 0) return undefined;
  try {
    const total = readBerLv(data, 0);
    if (total.next !== data.length) throw new ConfirmationError(`confirmation length says ${total.value.length} bytes, ${data.length - (data.length - total.value.length)} follow`);
    const body = total.value;
    const receipt = readBerLv(body, 0);
    const confirmationData = body.subarray(receipt.next);
    if (confirmationData[0] !== 0x02 || confirmationData.length < 4) throw new ConfirmationError('confirmation data must start with 02 <counter 2 bytes>');
    const counter = readU16(confirmationData, 1);
    const sd = readLvStrict(confirmationData, 3);
    const out: Confirmation = { receipt: receipt.value, confirmationData, counter, sdUniqueData: sd.value };
    let next = sd.next;
    if (next < confirmationData.length) {
      const id = readLvStrict(confirmationData, next);
      out.tokenIdentifier = id.value;
      next = id.next;
    }
    if (next < confirmationData.length) {
      const digest = readLvStrict(confirmationData, next);
      out.tokenDataDigest = digest.value;
      next = digest.next;
    }
    if (next !== confirmationData.length) throw new ConfirmationError('trailing bytes after the confirmation data');
    return out;
  } catch (err) {
    if (err instanceof ConfirmationError) throw err;
    throw new ConfirmationError(`malformed confirmation: ${(err as Error).message}`);
  }
}

function readLvStrict(bytes: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  const len = bytes[offset];
  if (len === undefined || offset + 1 + len > bytes.length) throw new ConfirmationError(`length at offset ${offset} runs past the confirmation data`);
  return { value: bytes.subarray(offset + 1, offset + 1 + len), next: offset + 1 + len };
}

/**
 * The operation data appended to the confirmation data before the receipt is computed (GPCS C.5,
 * reference §9.3): what the receipt proves was done.
 */
export const RECEIPT_CONTEXT = {
  /** Load receipt (C.5.1): `L ELF-AID L SD-AID`. */
  load: (elfAid: Uint8Array, sdAid: Uint8Array) => concat(lv(elfAid), lv(sdAid)),
  /** Install / make-selectable receipt (C.5.2): `L ELF-AID L instance-AID`. */
  install: (elfAid: Uint8Array, instanceAid: Uint8Array) => concat(lv(elfAid), lv(instanceAid)),
  /** Delete receipt (C.5.5): `L deleted-AID` (the ELF AID when an ELF is deleted with its apps). */
  delete: (aid: Uint8Array) => lv(aid),
  /** Combined load + install receipt (C.5.6): `L ELF-AID L instance-AID L SD-AID`. */
  loadInstall: (elfAid: Uint8Array, instanceAid: Uint8Array, sdAid: Uint8Array) => concat(lv(elfAid), lv(instanceAid), lv(sdAid)),
} as const;

/** The exact message a receipt is computed over: confirmation data ‖ operation data. */
export function receiptMessage(confirmationData: Uint8Array, operationData: Uint8Array): Uint8Array {
  return concat(confirmationData, operationData);
}
