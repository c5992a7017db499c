import { fromHex, toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { buildGetStatus } from '../../protocol/gp/commands/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { withGetResponse, type Reader } from '../../reader-bridge/index.ts';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');

/**
 * A host's session with the default card, the same on any reader: SELECT, every GET DATA object,
 * 61xx/GET RESPONSE and 6Cxx, an error status word, an extended-length APDU, a warm reset, then an
 * SCP03 channel at level 33 (INITIALIZE UPDATE writes the card's sequence counter) and GET STATUS
 * under it. The host's challenge is seeded, so two runs against equal cards send equal bytes.
 */
export async function runHostSession(reader: Reader): Promise<string[]> {
  const answers: string[] = [];
  const send = async (hex: string, via: Reader = reader) => {
    const r = toHex(await via.transmit(fromHex(hex)));
    answers.push(r);
    return r;
  };
  answers.push(toHex(await reader.powerOn()));
  await send('00A4040000');
  for (const tag of ['9F7F', '0042', '0045', '0066', '00E0', 'FF21', '00CF']) await send(`80CA${tag}00`);
  await send('80CA9F7F', withGetResponse(reader)); // 612D, then GET RESPONSE
  await send('80CA9F7F05', withGetResponse(reader)); // 6C2D, then again with Le 2D
  await send('80CA00EE00'); // 6A88
  await send('80CA9F7F000000'); // extended Le: passes vpcd untouched
  answers.push(toHex(await reader.reset()));
  const host = new Scp03HostSession({ keys: { enc: KEY, mac: KEY, dek: KEY }, random: seededRandom(7) });
  const iu = fromHex(await send(toHex(host.initializeUpdateCommand())));
  host.processInitializeUpdateResponse(iu.subarray(0, iu.length - 2));
  await send(toHex(host.externalAuthenticateCommand(0x33)));
  const status = fromHex(await send(toHex(host.wrap(buildGetStatus({ subset: 0x80 })))));
  answers.push(toHex(host.unwrap(status)));
  await reader.powerOff();
  return answers;
}
