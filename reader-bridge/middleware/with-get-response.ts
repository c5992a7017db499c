import { concat } from '../../protocol/bytes.ts';
import { INS, buildCommandApdu, tryParseCommandApdu } from '../../protocol/apdu/index.ts';
import { ReaderError, type Reader } from '../reader.ts';

/** Most GET RESPONSE rounds one command may need: 64 × 256 bytes is more than any short-APDU card sends. */
const MAX_GET_RESPONSE = 64;

/**
 * ISO 7816-4 §5.3.4 on the host side: a `61xx` answer is followed by GET RESPONSE (Le = xx) until the
 * card stops saying more is waiting, the data parts concatenated; a `6Cxx` answer ("wrong Le, xx
 * available") is answered by sending the same command again once with Le = xx. Both loops are
 * bounded: a card still answering 61xx after 64 rounds is a TRANSPORT error.
 */
export function withGetResponse(reader: Reader): Reader {
  const transmit = async (capdu: Uint8Array): Promise<Uint8Array> => {
    let response = await reader.transmit(capdu);
    if (sw1(response) === 0x6c) {
      const again = withLe(capdu, response[response.length - 1]!);
      if (again) response = await reader.transmit(again);
    }
    const parts: Uint8Array[] = [];
    const channel = capdu.length > 0 ? capdu[0]! & 0x03 : 0;
    for (let round = 0; sw1(response) === 0x61; round++) {
      if (round === MAX_GET_RESPONSE) {
        throw new ReaderError('TRANSPORT', `the card in ${reader.name} still answered 61xx after ${MAX_GET_RESPONSE} GET RESPONSE commands; giving up`);
      }
      parts.push(response.subarray(0, response.length - 2));
      const le = response[response.length - 1]!;
      response = await reader.transmit(Uint8Array.of(channel, INS.GET_RESPONSE, 0x00, 0x00, le));
    }
    return parts.length ? concat(...parts, response) : response;
  };
  return {
    name: reader.name,
    powerOn: () => reader.powerOn(),
    transmit,
    powerOff: () => reader.powerOff(),
    reset: () => reader.reset(),
    isCardPresent: () => reader.isCardPresent(),
    on: (e, fn) => reader.on(e, fn),
    close: () => reader.close(),
  };
}

function sw1(response: Uint8Array): number | undefined {
  return response.length >= 2 ? response[response.length - 2] : undefined;
}

/** The same command with Le set to `le` (short form), or undefined when the command cannot carry one. */
function withLe(capdu: Uint8Array, le: number): Uint8Array | undefined {
  const parsed = tryParseCommandApdu(capdu);
  if (!parsed.ok || parsed.apdu.extended) return undefined;
  const { cla, ins, p1, p2, data } = parsed.apdu;
  return buildCommandApdu({ cla, ins, p1, p2, data, ne: le === 0 ? 256 : le });
}
