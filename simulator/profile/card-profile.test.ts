import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../protocol/bytes.ts';
import { resolveProfile, readProfileFile, ProfileError } from './card-profile.ts';
import { tempDir } from '../../test/support/temp-dir.ts';

describe('card profile', () => {
  it('applies the documented defaults (GP 2.3.1, ISD A000000151000000, KVN 30 with 404142…4F, i = 70, 64 KiB)', () => {
    const p = resolveProfile({});
    expect(toHex(p.isdAid)).toBe('A000000151000000');
    expect(p.keys).toHaveLength(1);
    expect(p.keys[0]!.kvn).toBe(0x30);
    expect(toHex(p.keys[0]!.enc)).toBe('404142434445464748494A4B4C4D4E4F');
    expect(p.scp03.i).toBe(0x70);
    expect(p.memory).toEqual({ persistent: 65536, transient: 4096 });
    expect(p.lifeCycle).toBe(0x0f);
  });

  it('accepts the CPLC as 42 bytes of hex or as named fields', () => {
    const hex = '4790D6004700000000003244342952208448000000000000000015278234323935320000000000000000';
    expect(toHex(resolveProfile({ cplc: hex }).cplc)).toBe(hex);
    expect(toHex(resolveProfile({ cplc: { icFabricator: '4790', icSerialNumber: '34295220' } }).cplc).slice(0, 4)).toBe('4790');
  });

  it('refuses an ATR whose TCK is wrong', () => {
    expect(() => resolveProfile({ atr: '3B8C8001636172646C6162204750323341' })).toThrow(/TCK/);
  });

  it('refuses an ATR whose length disagrees with its interface bytes', () => {
    expect(() => resolveProfile({ atr: '3B8C80016361' })).toThrow(/ATR length/);
  });

  it('accepts a T=0-only ATR without TCK', () => {
    expect(() => resolveProfile({ atr: '3B0200AA'.slice(0, 8) })).not.toThrow();
  });

  it('refuses keysets with mixed key lengths, reserved KVNs and duplicate KVNs', () => {
    const k = '404142434445464748494A4B4C4D4E4F';
    expect(() => resolveProfile({ keys: [{ kvn: '30', enc: k, mac: k, dek: k + '0001020304050607' }] })).toThrow(/same length/);
    expect(() => resolveProfile({ keys: [{ kvn: '00', enc: k, mac: k, dek: k }] })).toThrow(/reserved/);
    expect(() => resolveProfile({ keys: [{ kvn: '30', enc: k, mac: k, dek: k }, { kvn: '30', enc: k, mac: k, dek: k }] })).toThrow(/share a KVN/);
  });

  it('names the JSON path of a schema violation', () => {
    try {
      resolveProfile({ memory: { persistent: 10 } } as never);
      expect.fail('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).path).toBe('$.memory.persistent');
    }
  });

  it('refuses unknown fields (a typo must not silently fall back to a default)', () => {
    expect(() => resolveProfile({ lifecycle: 'SECURED' } as never)).toThrow(ProfileError);
  });

  it('reads a profile file and names file, line and column of a syntax error', () => {
    const dir = tempDir('cardlab-profile-');
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ name: 'mine', iin: '112233' }));
    expect(readProfileFile(good).name).toBe('mine');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "name": "x"\n  "iin": "11"\n}');
    expect(() => readProfileFile(bad)).toThrow(/bad\.json: invalid JSON at line 3, column 3/);
  });
});
