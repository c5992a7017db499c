import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../crypto/random-source.ts';
import { loadDataKeys, SecretBox, SecretBoxError } from './index.ts';

const key = (b: number, id = 'k1') => ({ id, key: new Uint8Array(32).fill(b) });
const text = (s: string) => new TextEncoder().encode(s);

describe('SecretBox (AES-256-GCM, synthetic IV)', () => {
  it('opens what it sealed, only at the same place, and never shows the plaintext', () => {
    const box = new SecretBox([key(1)]);
    const sealed = box.seal(text('card key 404142'), 'cards/c1/enc');
    expect(Buffer.from(sealed).includes(Buffer.from('card key'))).toBe(false);
    expect(new TextDecoder().decode(box.open(sealed, 'cards/c1/enc'))).toBe('card key 404142');
    expect(() => box.open(sealed, 'cards/c2/enc')).toThrow(SecretBoxError);
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => box.open(flipped, 'cards/c1/enc')).toThrow(/does not authenticate/);
  });

  it('is deterministic for the same input and uses a different IV for a different plaintext', () => {
    const box = new SecretBox([key(2)]);
    expect(box.seal(text('a'), 'x')).toEqual(box.seal(text('a'), 'x'));
    expect(Buffer.from(box.seal(text('a'), 'x').subarray(8, 20))).not.toEqual(Buffer.from(box.seal(text('b'), 'x').subarray(8, 20)));
  });

  it('rotates: the new first key seals, the old one still opens', () => {
    const old = new SecretBox([key(3, 'old')]);
    const sealed = old.seal(text('s'));
    const rotated = new SecretBox([key(4, 'new'), key(3, 'old')]);
    expect(new TextDecoder().decode(rotated.open(sealed))).toBe('s');
    expect(SecretBox.keyIdOf(rotated.seal(text('s')))).toBe('new');
    expect(() => new SecretBox([key(4, 'new')]).open(sealed)).toThrow(/not in the keyring/);
  });

  it('creates a 0600 key file in a 0700 directory, or takes the keyring from CARDLAB_DATA_KEY', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cardlab-keys-')), 'keys');
    try {
      const a = loadDataKeys({ dir, random: seededRandom(1), env: {} });
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'data-keys.json')).mode & 0o777).toBe(0o600);
      const b = loadDataKeys({ dir, random: seededRandom(2), env: {} });
      expect(b.open(a.seal(text('x')))).toEqual(text('x'));
      const env = loadDataKeys({ dir, random: seededRandom(3), env: { CARDLAB_DATA_KEY: `prod2:${'ab'.repeat(32)},k1:${'cd'.repeat(32)}` } });
      expect(env.currentKeyId).toBe('prod2');
      expect(() => loadDataKeys({ dir, random: seededRandom(3), env: { CARDLAB_DATA_KEY: 'short' } })).toThrow(/64 hex digits/);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
