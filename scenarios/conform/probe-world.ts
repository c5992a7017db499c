import { SW, swHex, swOf } from '../../protocol/apdu/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { buildGetStatus, buildSelect } from '../../protocol/gp/commands/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { parseTlv } from '../../protocol/tlv/index.ts';
import type { Reader } from '../../reader-bridge/index.ts';
import { LEVEL, type ConformWorld } from './host-steps.ts';
import type { LoadMaterial } from './load-material.ts';

/** The keys a host opens sessions with. */
interface Keys {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

/**
 * What the suite must know of a card that is not ours before it plans, read from the card itself: the ISD's
 * AID (tag 84 of the FCI SELECT answers, GPCS 11.9.3.1), whether INITIALIZE UPDATE persists a sequence counter
 * (a 32-byte response: pseudo-random challenges, AMD-D Table 7-2), and how many Load Files GET STATUS lists
 * besides the suite's own (GPCS 11.4). Leaves the card powered off.
 */
export async function probeWorld(reader: Reader, keys: Keys, material: LoadMaterial, seed: number): Promise<ConformWorld> {
  const send = async (what: string, bytes: Uint8Array, ok: number[]): Promise<{ data: Uint8Array; sw: number }> => {
    const r = await reader.transmit(bytes);
    const sw = swOf(r);
    if (!ok.includes(sw)) throw new Error(`probing the card: ${what} answered ${swHex(sw)}`);
    return { data: r.subarray(0, r.length - 2), sw };
  };
  await reader.powerOn();
  const fci = (await send('SELECT', buildSelect(), [SW.SUCCESS, SW.CARD_LOCKED_WARNING])).data;
  const isdAid = parseTlv(parseTlv(fci).find((t) => t.tag === 0x6f)?.value ?? new Uint8Array(0)).find((t) => t.tag === 0x84)?.value;
  if (!isdAid) throw new Error('probing the card: SELECT answered no FCI with the ISD AID (84)');
  const host = new Scp03HostSession({ keys, kvn: keys.kvn, random: seededRandom(`${seed}:probe`) });
  const iu = (await send('INITIALIZE UPDATE', host.initializeUpdateCommand(), [SW.SUCCESS])).data;
  host.processInitializeUpdateResponse(iu);
  await send('EXTERNAL AUTHENTICATE', host.externalAuthenticateCommand(LEVEL), [SW.SUCCESS]);
  const ours = new Set([toHex(material.lib.packageAid), toHex(material.app.packageAid)]);
  let loadFiles = 0;
  for (let next = false, more = true, pages = 0; more && pages < 64; next = true, pages++) {
    const r = host.unwrap(await reader.transmit(host.wrap(buildGetStatus({ subset: 0x20, next }))));
    const sw = swOf(r);
    if (sw !== SW.SUCCESS && sw !== SW.MORE_DATA_AVAILABLE) throw new Error(`probing the card: GET STATUS load files answered ${swHex(sw)}`);
    for (const e of parseTlv(r.subarray(0, r.length - 2)).filter((t) => t.tag === 0xe3)) {
      const aid = parseTlv(e.value).find((t) => t.tag === 0x4f)?.value;
      if (aid && !ours.has(toHex(aid))) loadFiles++;
    }
    more = sw === SW.MORE_DATA_AVAILABLE;
  }
  await reader.powerOff();
  return { isdAid: isdAid.slice(), material, loadFileEntries: loadFiles, sequenceCounter: iu.length === 32 };
}
