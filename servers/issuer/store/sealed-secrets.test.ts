import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../../../protocol/secrets/index.ts';
import { SqliteIssuerStore } from './sqlite-issuer-store.ts';

const key = (b: number, id: string) => ({ id, key: new Uint8Array(32).fill(b) });
const ENC = new Uint8Array(16).fill(0xa1);
const SECRET = new Uint8Array(32).fill(0xb2);
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function seed(store: SqliteIssuerStore): Promise<void> {
  return store
    .createCardholder({ id: 'h', name: 'n', address: 'a', createdAt: 0 })
    .then(() =>
      store.createCard({
        id: 'c',
        cardholderId: 'h',
        iin: '42434C',
        cin: '01',
        icSerial: '00000001',
        isdAid: 'A000000151000000',
        keys: { kvn: 0x30, enc: ENC, mac: ENC, dek: ENC },
        keySource: 'given',
        curve: 'P-256',
        publicKey: new Uint8Array(65),
        certificate: new Uint8Array(64),
        status: 'active',
        freeNvm: null,
        freeVm: null,
        installedCount: null,
        collatedAt: null,
        createdAt: 0,
      }),
    )
    .then(() => store.createProvider({ id: 'p', name: 'p', notificationUrl: 'http://x', hmacSecret: SECRET, createdAt: 0 }));
}

describe('issuer store: card keys and provider secrets sealed at rest', () => {
  it('never writes a card key or provider secret in clear, and re-seals under a new data key when the keyring rotates', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cardlab-sealed-'));
    const file = join(dir, 'issuer.db');
    const first = new SqliteIssuerStore(file, { secrets: new SecretBox([key(1, 'k1')]) });
    await seed(first);
    const raw = first.db.get<{ key_enc: Uint8Array }>('SELECT key_enc FROM cards')!;
    expect(SecretBox.keyIdOf(raw.key_enc)).toBe('k1');
    await first.close();
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from(ENC))).toBe(false);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);

    // Rotation: k2 first, k1 kept to open what it sealed; opening the store re-seals everything under k2.
    const rotated = new SqliteIssuerStore(file, { secrets: new SecretBox([key(2, 'k2'), key(1, 'k1')]) });
    expect(SecretBox.keyIdOf(rotated.db.get<{ key_enc: Uint8Array }>('SELECT key_enc FROM cards')!.key_enc)).toBe('k2');
    expect(SecretBox.keyIdOf(rotated.db.get<{ hmac_secret: Uint8Array }>('SELECT hmac_secret FROM providers')!.hmac_secret)).toBe('k2');
    await rotated.close();
    const onlyNew = new SqliteIssuerStore(file, { secrets: new SecretBox([key(2, 'k2')]) });
    expect((await onlyNew.getCard('c'))!.keys.enc).toEqual(ENC);
    expect((await onlyNew.getProvider('p'))!.hmacSecret).toEqual(SECRET);
    await onlyNew.close();
  });

  it('seals the plain values an earlier schema left when it opens, and refuses to open with a foreign keyring', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cardlab-sealed-'));
    const file = join(dir, 'issuer.db');
    const store = new SqliteIssuerStore(file, { secrets: new SecretBox([key(1, 'k1')]) });
    await seed(store);
    store.db.run('UPDATE cards SET key_enc = ?', [ENC]); // as schema 1 stored it
    await store.close();
    const reopened = new SqliteIssuerStore(file, { secrets: new SecretBox([key(1, 'k1')]) });
    expect(SecretBox.isSealed(reopened.db.get<{ key_enc: Uint8Array }>('SELECT key_enc FROM cards')!.key_enc)).toBe(true);
    expect((await reopened.getCard('c'))!.keys.enc).toEqual(ENC);
    await reopened.close();
    expect(() => new SqliteIssuerStore(file, { secrets: new SecretBox([key(9, 'other')]) })).toThrow(/not in the keyring/);
  });
});
