import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../protocol/bytes.ts';
import { seededRandom } from '../../../protocol/crypto/index.ts';
import { SecretBox } from '../../../protocol/secrets/index.ts';
import { loadOrCreateIssuerKeys } from './issuer-keys.ts';

const box = (b: number, id: string) => ({ id, key: new Uint8Array(32).fill(b) });
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
  dir = undefined;
});

describe('issuer key files', () => {
  it('are 0600 in a 0700 directory with every private key sealed, and are read back the same', async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'cardlab-issuer-keys-')), 'keys');
    const keys = await loadOrCreateIssuerKeys(dir, seededRandom('k'), new SecretBox([box(1, 'k1')]));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ['issuer-ca-key.json', 'dap-key.json', 'card-master-key.json', 'issuer-ca.der']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const text = ['issuer-ca-key.json', 'dap-key.json', 'card-master-key.json'].map((f) => readFileSync(join(dir!, f), 'utf8').toUpperCase()).join('\n');
    for (const secret of [keys.ca.privateKey, keys.dap.privateKey, keys.cardMasterKey]) expect(text).not.toContain(toHex(secret));
    const again = await loadOrCreateIssuerKeys(dir, seededRandom('other'), new SecretBox([box(1, 'k1')]));
    expect(again).toEqual(keys);
  });

  it('re-seals under a rotated data key, seals a plain key file of an earlier version, and refuses a foreign keyring', async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'cardlab-issuer-keys-')), 'keys');
    const keys = await loadOrCreateIssuerKeys(dir, seededRandom('k'), new SecretBox([box(1, 'k1')]));
    const sealedWith = (f: string) => {
      const k = JSON.parse(readFileSync(join(dir!, f), 'utf8')) as { sealedPrivateKey?: string; sealedKey?: string };
      return SecretBox.keyIdOf(new Uint8Array(Buffer.from((k.sealedPrivateKey ?? k.sealedKey)!, 'base64')));
    };
    await loadOrCreateIssuerKeys(dir, seededRandom('k'), new SecretBox([box(2, 'k2'), box(1, 'k1')]));
    for (const f of ['issuer-ca-key.json', 'dap-key.json', 'card-master-key.json']) expect(sealedWith(f)).toBe('k2');
    // A DAP key file as earlier versions wrote it: the private key in hex.
    writeFileSync(join(dir, 'dap-key.json'), JSON.stringify({ curve: keys.dap.curve, privateKey: toHex(keys.dap.privateKey), publicKey: toHex(keys.dap.publicKey) }));
    const read = await loadOrCreateIssuerKeys(dir, seededRandom('k'), new SecretBox([box(2, 'k2')]));
    expect(read.dap).toEqual(keys.dap);
    expect(sealedWith('dap-key.json')).toBe('k2');
    await expect(loadOrCreateIssuerKeys(dir, seededRandom('k'), new SecretBox([box(9, 'other')]))).rejects.toThrow(/not in the keyring/);
  });
});
