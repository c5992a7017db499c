import { describe, it, expect } from 'vitest';
import { toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { buildInstallForLoad } from '../../protocol/gp/commands/index.ts';
import { createCard, ECHO_PACKAGE_AID } from '../../simulator/index.ts';
import { createTimeline, redactBody, type CardEntry, type HeldKeys } from '../../scenarios/timeline/index.ts';
import type { TraceEntry } from '../../reader-bridge/index.ts';

/** A card session at level 33 recorded into a timeline that holds `held`; returns the card entries. */
function recordedSession(held: (keys: HeldKeys) => HeldKeys[]): CardEntry[] {
  const card = createCard({ seed: 7 });
  const timeline = createTimeline();
  const keys = card.keyset()!;
  timeline.holdKeys(() => held(keys));
  const sink = timeline.cardSink([]);
  const exchange = (c: Uint8Array) => {
    sink({ t: 0, dir: 'C', hex: toHex(c) } satisfies TraceEntry);
    const r = card.transmit(c);
    sink({ t: 0, dir: 'R', hex: toHex(r) });
    return r;
  };
  sink({ t: 0, dir: 'ATR', hex: toHex(card.powerOn()), note: ['power-on'] });
  const host = new Scp03HostSession({ keys, kvn: keys.kvn, random: seededRandom('observer') });
  const iu = exchange(host.initializeUpdateCommand());
  host.processInitializeUpdateResponse(iu.subarray(0, iu.length - 2));
  exchange(host.externalAuthenticateCommand(0x33));
  host.unwrap(exchange(host.wrap(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID }))));
  return timeline.entries.filter((e): e is CardEntry => e.kind === 'card');
}

describe('secure messaging seen by a bystander holding the keys', () => {
  it('reads a C-ENC/R-ENC session plain, verified with the session keys it derived', () => {
    const entries = recordedSession((k) => [k]);
    const install = entries.find((e) => e.dir === 'C' && e.hex.startsWith('84E6'))!;
    expect(install.sm).toMatchObject({ status: 'verified' });
    expect(install.sm!.plain).toBe(toHex(buildInstallForLoad({ loadFileAid: ECHO_PACKAGE_AID })));
    const response = entries[entries.indexOf(install) + 1]!;
    expect(response.sm).toMatchObject({ status: 'verified', plain: '009000' });
    expect(response.sm!.note![0]).toMatch(/^INSTALL \[for load\]/);
  });

  it('a session whose keys the runner does not hold stays wrapped and says so', () => {
    const entries = recordedSession((k) => [{ ...k, mac: new Uint8Array(k.mac.length).fill(0x42) }]);
    const install = entries.find((e) => e.dir === 'C' && e.hex.startsWith('84E6'))!;
    expect(install.sm).toEqual({ status: 'wrapped', reason: expect.stringMatching(/holds no keys of this session.*stays wrapped/) });
    expect(entries.some((e) => e.sm?.plain !== undefined)).toBe(false);
  });
});

describe('redaction of HTTP bodies', () => {
  it('blanks session ids, key material, secrets, names and addresses at any depth', () => {
    const body = { sessionId: 'abc', card: { keys: { enc: '00' }, cin: '01' }, members: [{ name: 'Ada', address: 'x', id: 3 }], hmacSecret: 's', next: '<issuer>/gp/seram/handshake?sessionId=d4aa&x=1' };
    expect(redactBody(body)).toEqual({ sessionId: '[redacted]', card: { keys: '[redacted]', cin: '01' }, members: [{ name: '[redacted]', address: '[redacted]', id: 3 }], hmacSecret: '[redacted]', next: '<issuer>/gp/seram/handshake?sessionId=[redacted]&x=1' });
  });
});
