import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { DATA_KEY_FILE, SecretBox } from '../../protocol/secrets/index.ts';
import { CARD_IMAGE_FORMAT, CARD_IMAGE_FORMAT_PLAIN, CardImageError, loadCardImage, saveCardImage } from './card-image.ts';
import { PersistentStore, PowerLossError } from './persistent-store.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cardlab-card-image-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const K1 = '11'.repeat(32);
const K2 = '22'.repeat(32);
/** An environment with a data keyring and nothing else (the developer's own CARDLAB_DATA_KEY must not leak in). */
const keyring = (value: string): NodeJS.ProcessEnv => ({ CARDLAB_DATA_KEY: value });
const ENV = keyring(`k1:${K1}`);

function cardImageError(path: string, env: NodeJS.ProcessEnv = ENV): CardImageError {
  try {
    loadCardImage(path, { env });
  } catch (e) {
    if (e instanceof CardImageError) return e;
    throw e;
  }
  throw new Error('loadCardImage accepted a bad file');
}

function fileWith(content: string): string {
  const path = join(dir, 'card.json');
  writeFileSync(path, content);
  return path;
}

describe('card image file', () => {
  it('saves and loads the profile and the persistent memory', () => {
    const store = new PersistentStore({ capacity: 4096 });
    store.write('isd/keys/01', fromHex('404142434445464748494A4B4C4D4E4F'));
    const path = join(dir, 'card.json');
    saveCardImage(path, { profile: { name: 'jcop4', atr: '3B8F' }, store, createdAt: '2025-01-01T00:00:00.000Z' }, { env: ENV });
    const loaded = loadCardImage(path, { env: ENV });
    expect(loaded.profile).toEqual({ name: 'jcop4', atr: '3B8F' });
    expect(loaded.createdAt).toBe('2025-01-01T00:00:00.000Z');
    expect(loaded.store.image()).toEqual(store.image());
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe(CARD_IMAGE_FORMAT);
  });

  it('writes through a temporary file and leaves nothing else behind', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, { profile: 1, store: new PersistentStore({ capacity: 10 }) }, { env: ENV });
    saveCardImage(path, { profile: 2, store: new PersistentStore({ capacity: 10 }) }, { env: ENV });
    expect(readdirSync(dir)).toEqual(['card.json']);
    expect(loadCardImage(path, { env: ENV }).profile).toBe(2);
  });

  it('keeps a torn card torn across save and load, recovered at the next power-up', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('counter', fromHex('01'));
    store.onWrite((w) => (w.kind === 'data' ? 'tear' : undefined));
    expect(() => store.write('counter', fromHex('0203'))).toThrow(PowerLossError);
    const path = join(dir, 'card.json');
    saveCardImage(path, { profile: {}, store }, { env: ENV });
    const { store: loaded } = loadCardImage(path, { env: ENV });
    expect(loaded.powered).toBe(false);
    expect(loaded.powerUp().restoredKeys).toEqual(['counter']);
    expect(loaded.get('counter')).toEqual(fromHex('01'));
  });

  it('names the file and the reason for a missing file', () => {
    const error = cardImageError(join(dir, 'absent.json'));
    expect(error.code).toBe('UNREADABLE');
    expect(error.file).toBe(join(dir, 'absent.json'));
  });

  it('refuses a file that is not JSON', () => {
    const error = cardImageError(fileWith('{ nope'));
    expect(error.code).toBe('BAD_JSON');
    expect(error.message).toMatch(/^.*card\.json: not JSON/);
  });

  it.each([
    ['[]', 'expected a JSON object'],
    ['{"format":"cardlab-card-image/3","sealed":""}', "format is \"cardlab-card-image/3\", expected 'cardlab-card-image/2' (or the plain 'cardlab-card-image/1')"],
    ['{"format":"cardlab-card-image/2","profile":{},"persistent":""}', "'sealed' must be a base64 string"],
    ['{"format":"cardlab-card-image/2","sealed":"","createdAt":5}', "'createdAt' must be a string"],
    ['{"format":"cardlab-card-image/1","persistent":""}', "missing 'profile'"],
    ['{"format":"cardlab-card-image/1","profile":{},"persistent":"not base64!"}', "'persistent' must be a base64 string"],
    ['{"format":"cardlab-card-image/1","profile":{},"persistent":"","createdAt":5}', "'createdAt' must be a string"],
  ])('refuses the wrong shape %s', (content, reason) => {
    const error = cardImageError(fileWith(content));
    expect(error.code).toBe('BAD_FORMAT');
    expect(error.reason).toBe(reason);
  });

  it('refuses a corrupt persistent memory image with BAD_IMAGE', () => {
    const image = Buffer.from(new PersistentStore({ capacity: 100 }).image());
    image[6]! ^= 0xff;
    const error = cardImageError(fileWith(JSON.stringify({ format: CARD_IMAGE_FORMAT_PLAIN, profile: {}, persistent: image.toString('base64') })));
    expect(error.code).toBe('BAD_IMAGE');
    expect(error.reason).toMatch(/checksum mismatch/);
  });
});

/** Every byte string the file holds: its text, and each base64 run in it decoded (the image inside, if plain). */
function fileByteViews(path: string): Buffer[] {
  const text = readFileSync(path, 'utf8');
  return [Buffer.from(text), ...[...text.matchAll(/[A-Za-z0-9+/=]{16,}/g)].map((m) => Buffer.from(m[0], 'base64'))];
}

function holds(path: string, secret: Uint8Array): boolean {
  const hex = toHex(secret);
  return fileByteViews(path).some((b) => b.includes(Buffer.from(secret)) || b.includes(hex) || b.includes(hex.toLowerCase()));
}

/** The id of the data key a sealed card image was sealed with (SecretBox: "CLS1" ‖ L ‖ id ‖ …). */
function sealedWith(path: string): string {
  const sealed = Buffer.from(JSON.parse(readFileSync(path, 'utf8')).sealed, 'base64');
  return sealed.subarray(5, 5 + sealed[4]!).toString('ascii');
}

describe('card image file: secrets at rest', () => {
  const privateKey = fromHex('C0FFEE00112233445566778899AABBCCDDEEFF00112233445566778899AABBCC');
  const scp03 = fromHex('404142434445464748494A4B4C4D4E4F');
  const secretCard = () => {
    const store = new PersistentStore({ capacity: 4096 });
    store.write('card/key', privateKey);
    store.write('isd/keys/30', scp03);
    return { profile: { keys: [{ kvn: '30', enc: toHex(scp03) }] }, store };
  };

  it('is created 0600, in a directory created 0700', () => {
    const path = join(dir, 'cards', 'card.json');
    saveCardImage(path, secretCard(), { env: ENV });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'cards')).mode & 0o777).toBe(0o700);
  });

  it('holds neither the private key nor the SCP03 keys in clear, and reads back', () => {
    const path = join(dir, 'card.json');
    const card = secretCard();
    saveCardImage(path, card, { env: ENV });
    expect(holds(path, privateKey)).toBe(false);
    expect(holds(path, scp03)).toBe(false);
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe('cardlab-card-image/2');
    const loaded = loadCardImage(path, { env: ENV });
    expect(loaded.profile).toEqual(card.profile);
    expect(loaded.store.get('card/key')).toEqual(privateKey);
  });

  it('without CARDLAB_DATA_KEY, seals with data-keys.json beside the image (created 0600), which opens it again', () => {
    mkdirSync(join(dir, 'shared'), { mode: 0o755 });
    const path = join(dir, 'shared', 'card.json');
    saveCardImage(path, secretCard(), { env: {} });
    const keyFile = join(dir, 'shared', DATA_KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // A directory we did not create is left as it was (it may be the user's working directory).
    expect(statSync(join(dir, 'shared')).mode & 0o777).toBe(0o755);
    expect(holds(path, privateKey)).toBe(false);
    expect(loadCardImage(path, { env: {} }).store.get('isd/keys/30')).toEqual(scp03);
  });

  it('uses a data-keys.json that is already there, and leaves it byte for byte', () => {
    const keyFile = join(dir, DATA_KEY_FILE);
    const text = `${JSON.stringify({ keys: [{ id: 'mine', key: K2 }] })}\n`;
    writeFileSync(keyFile, text, { mode: 0o600 });
    const path = join(dir, 'card.json');
    saveCardImage(path, secretCard(), { env: {} });
    expect(readFileSync(keyFile, 'utf8')).toBe(text);
    expect(sealedWith(path)).toBe('mine');
    expect(readdirSync(dir).sort()).toEqual(['card.json', DATA_KEY_FILE]);
  });

  it('with CARDLAB_DATA_KEY, writes no key file', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, secretCard(), { env: ENV });
    expect(existsSync(join(dir, DATA_KEY_FILE))).toBe(false);
  });

  it('refuses a sealed image without its key (SEALED, naming CARDLAB_DATA_KEY and the key file)', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, secretCard(), { env: ENV });
    const missing = cardImageError(path, {});
    expect(missing.code).toBe('SEALED');
    expect(missing.reason).toContain('CARDLAB_DATA_KEY');
    expect(missing.reason).toContain(join(dir, DATA_KEY_FILE));
    const wrong = cardImageError(path, keyring(`k2:${K2}`));
    expect(wrong.code).toBe('SEALED');
    expect(wrong.reason).toMatch(/k1.*not in the keyring/);
    const impostor = cardImageError(path, keyring(`k1:${K2}`));
    expect(impostor.code).toBe('SEALED');
    expect(impostor.reason).toMatch(/does not authenticate/);
  });

  it('refuses a sealed image with a changed byte (SEALED)', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, secretCard(), { env: ENV });
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const sealed = Buffer.from(file.sealed, 'base64');
    sealed[sealed.length - 1]! ^= 0x01;
    file.sealed = sealed.toString('base64');
    expect(cardImageError(fileWith(JSON.stringify(file))).code).toBe('SEALED');
  });

  it('refuses a sealed image whose contents are not a card image (BAD_FORMAT)', () => {
    const box = new SecretBox([{ id: 'k1', key: fromHex(K1) }]);
    const sealed = Buffer.from(box.seal(Buffer.from('{"profile":{}}'), CARD_IMAGE_FORMAT)).toString('base64');
    const error = cardImageError(fileWith(JSON.stringify({ format: CARD_IMAGE_FORMAT, sealed })));
    expect(error.code).toBe('BAD_FORMAT');
    expect(error.reason).toBe("sealed contents: 'persistent' must be a base64 string");
  });

  it('reads a plain cardlab-card-image/1 file and seals it at the next save', () => {
    const card = secretCard();
    const path = fileWith(JSON.stringify({ format: CARD_IMAGE_FORMAT_PLAIN, profile: card.profile, persistent: Buffer.from(card.store.image()).toString('base64') }));
    const loaded = loadCardImage(path, { env: {} });
    expect(loaded.store.image()).toEqual(card.store.image());
    expect(existsSync(join(dir, DATA_KEY_FILE))).toBe(false); // reading creates no key
    saveCardImage(path, loaded, { env: ENV });
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe(CARD_IMAGE_FORMAT);
    expect(holds(path, privateKey)).toBe(false);
  });

  it('rotates: a new first key seals at the next save, the old one still opens until then', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, secretCard(), { env: ENV });
    expect(sealedWith(path)).toBe('k1');
    const rotated = keyring(`k2:${K2},k1:${K1}`);
    const loaded = loadCardImage(path, { env: rotated });
    saveCardImage(path, loaded, { env: rotated });
    expect(sealedWith(path)).toBe('k2');
    expect(loadCardImage(path, { env: keyring(`k2:${K2}`) }).store.get('card/key')).toEqual(privateKey);
  });
});
