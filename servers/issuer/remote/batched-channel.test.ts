import { describe, expect, it } from 'vitest';
import { parseCommandApdu } from '../../../protocol/apdu/index.ts';
import { concat, toHex } from '../../../protocol/bytes.ts';
import { seededRandom } from '../../../protocol/crypto/index.ts';
import { buildGetData, buildInstallForLoad } from '../../../protocol/gp/commands/index.ts';
import { Scp03CardSession, Scp03HostSession } from '../../../protocol/gp/scp03/index.ts';
import { BatchedChannel } from './batched-channel.ts';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const keys = { enc: KEY, mac: KEY, dek: KEY };

/** A host session and a card session authenticated with each other at `level`. */
function sessions(level: number) {
  const host = new Scp03HostSession({ keys, kvn: 0x30, random: seededRandom('batch') });
  const card = new Scp03CardSession();
  const iu = parseCommandApdu(host.initializeUpdateCommand());
  const iuResponse = card.initializeUpdate({
    keys,
    kvn: 0x30,
    i: 0x70,
    kdd: new Uint8Array(10),
    hostChallenge: iu.data,
    sequenceCounter: 1,
    aid: Uint8Array.of(0xa0, 0, 0, 1, 0x51, 0, 0, 0),
    random: seededRandom('card'),
  });
  host.processInitializeUpdateResponse(iuResponse);
  const ea = host.externalAuthenticateCommand(level);
  card.externalAuthenticate(parseCommandApdu(ea));
  return { host, card, ea };
}

describe('BatchedChannel: a SERAM script under one SCP03 session', () => {
  it('wraps a script exactly as command-by-command wrapping would, and unwraps each response against its own command', () => {
    const plain = [buildInstallForLoad({ loadFileAid: Uint8Array.of(1, 2, 3, 4, 5), lfdbHash: new Uint8Array(32) }), buildGetData(0xff21), buildGetData(0x66)];
    const reference = sessions(0x33);
    const expected = plain.map((c) => toHex(reference.host.wrap(c)));
    const { host, card, ea } = sessions(0x33);
    const channel = new BatchedChannel(host.sessionKeys!, ea);
    const { wrapped, snapshots } = channel.wrapAll(plain);
    expect(wrapped.map((c) => toHex(c))).toEqual(expected);
    // The card answers all of them before the host looks at any answer.
    const answers = wrapped.map((c, i) => {
      card.unwrap(parseCommandApdu(c));
      return card.wrap(Uint8Array.of(i, i, i), 0x9000);
    });
    answers.forEach((r, i) => expect(toHex(channel.unwrap(r, snapshots[i]!))).toBe(toHex(concat(Uint8Array.of(i, i, i), Uint8Array.of(0x90, 0x00)))));
    // An answer checked against another command's MAC chaining value does not verify.
    expect(() => channel.unwrap(answers[0]!, snapshots[1]!)).toThrow(/R-MAC/);
  });

  it('refuses an EXTERNAL AUTHENTICATE computed with other session keys', () => {
    const a = sessions(0x33);
    expect(() => new BatchedChannel(a.host.sessionKeys!, concat(a.ea.subarray(0, 13), new Uint8Array(8)))).toThrow(/EXTERNAL AUTHENTICATE/);
  });
});
