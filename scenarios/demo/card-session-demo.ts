import { fromHex, toHex } from '../../protocol/bytes.ts';
import { buildSelect, buildGetData, buildGetStatus } from '../../protocol/gp/commands/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { annotate } from '../../protocol/describe.ts';
import { createCard, type Card } from '../../simulator/index.ts';

export interface DemoOptions {
  seed?: number;
  write?: (line: string) => void;
}

/**
 * The main job until the scenario runner lands: one seeded card, one host session, every command the
 * card implements, printed as an annotated APDU trace (secure-messaging exchanges also shown decrypted).
 * Returns the number of exchanges whose status word was not the expected one (0 = the card behaved).
 */
export function runCardSessionDemo(options: DemoOptions = {}): number {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const seed = options.seed ?? 1;
  const card: Card = createCard({ seed });
  let surprises = 0;

  write(`# cardlab demo: a seeded GlobalPlatform card (seed ${seed}), profile "${card.profile.name}"`);
  write(`ATR: ${toHex(card.powerOn(), ' ')}`);
  const exchange = (title: string, command: Uint8Array, expectSw: number, host?: Scp03HostSession, plain?: Uint8Array): Uint8Array => {
    const response = card.transmit(command);
    write('');
    write(`## ${title}`);
    write(`>> ${toHex(command, ' ')}`);
    for (const l of annotate(command, response)) write(`# ${l}`);
    write(`<< ${toHex(response, ' ')}`);
    let shown = response;
    if (host && plain) {
      shown = host.unwrap(response);
      write(`#   plain command:  ${toHex(plain, ' ')}`);
      for (const l of annotate(plain, shown)) write(`#   ${l}`);
    }
    const sw = (shown[shown.length - 2]! << 8) | shown[shown.length - 1]!;
    if (sw !== expectSw) {
      surprises++;
      write(`# !! expected SW ${expectSw.toString(16).toUpperCase()}`);
    }
    return shown;
  };

  exchange('Select the Issuer Security Domain (default application)', buildSelect(), 0x9000);
  exchange('Card Production Life Cycle data', buildGetData(0x9f7f), 0x9000);
  exchange('Issuer Identification Number', buildGetData(0x42), 0x9000);
  exchange('Card Image Number (card-unique)', buildGetData(0x45), 0x9000);
  exchange('Card Recognition Data', buildGetData(0x66), 0x9000);
  exchange('Key Information Template', buildGetData(0xe0), 0x9000);
  exchange('Free memory (Extended Card Resources Information)', buildGetData(0xff21), 0x9000);
  exchange('GET STATUS without a secure channel is refused', fromHex('80F28002024F0000'), 0x6982);

  const key = card.profile.keys[0]!;
  const host = new Scp03HostSession({ keys: { enc: key.enc, mac: key.mac, dek: key.dek }, kvn: key.kvn, random: seededRandom(`host-${seed}`) });
  const iu = exchange('SCP03 INITIALIZE UPDATE', host.initializeUpdateCommand(), 0x9000);
  host.processInitializeUpdateResponse(iu.subarray(0, iu.length - 2));
  exchange('SCP03 EXTERNAL AUTHENTICATE, level 33 (C-DEC, C-MAC, R-ENC, R-MAC)', host.externalAuthenticateCommand(0x33), 0x9000);
  for (const [subset, title, sw] of [
    [0x80, 'GET STATUS: the ISD', 0x9000],
    [0x40, 'GET STATUS: applications (none installed yet)', 0x6a88],
    [0x10, 'GET STATUS: load files and their modules', 0x9000],
  ] as const) {
    const plain = buildGetStatus({ subset });
    exchange(title, host.wrap(plain), sw, host, plain);
  }
  const plain = buildGetData(0xff21);
  exchange('GET DATA FF21 inside the session', host.wrap(plain), 0x9000, host, plain);
  write('');
  write(`# ${surprises === 0 ? 'every exchange answered as expected' : `${surprises} exchange(s) answered unexpectedly`}`);
  return surprises;
}
