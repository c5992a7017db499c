import { toHex } from '../protocol/bytes.ts';
import { swMeaning } from '../protocol/apdu/index.ts';
import { withGetResponse, ReaderError, type Reader } from '../reader-bridge/index.ts';
import { TerminalError, type ProvisionStep } from './terminal-error.ts';

/** The terminal's view of the card: transmit with GET RESPONSE handled, errors turned into TerminalError. */
export interface CardIo {
  /** The raw reader (for the issuer's SERAM orders, relayed byte for byte). */
  readonly raw: Reader;
  /** Sends a command; answers the R-APDU with 61xx/6Cxx resolved. */
  send(step: ProvisionStep, command: Uint8Array): Promise<Uint8Array>;
  /** Sends a command that must answer 9000; answers its data. */
  expectOk(step: ProvisionStep, what: string, command: Uint8Array): Promise<Uint8Array>;
}

export function createCardIo(reader: Reader): CardIo {
  const smart = withGetResponse(reader);
  const send = async (step: ProvisionStep, command: Uint8Array) => {
    try {
      return await smart.transmit(command);
    } catch (err) {
      if (err instanceof ReaderError) throw new TerminalError(step, 'card', `the card in ${reader.name} did not answer: ${err.code} ${err.message}`);
      throw err;
    }
  };
  return {
    raw: reader,
    send,
    async expectOk(step, what, command) {
      const r = await send(step, command);
      const sw = toHex(r.subarray(r.length - 2));
      if (sw !== '9000') throw new TerminalError(step, 'card', `${what} answered ${sw} (${swMeaning(parseInt(sw, 16))})`, { sw });
      return r.subarray(0, r.length - 2);
    },
  };
}
