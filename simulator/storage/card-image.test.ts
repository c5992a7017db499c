import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../protocol/bytes.ts';
import { CARD_IMAGE_FORMAT, CardImageError, loadCardImage, saveCardImage } from './card-image.ts';
import { PersistentStore, PowerLossError } from './persistent-store.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cardlab-card-image-'));
});

function cardImageError(path: string): CardImageError {
  try {
    loadCardImage(path);
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
    saveCardImage(path, { profile: { name: 'jcop4', atr: '3B8F' }, store, createdAt: '2025-01-01T00:00:00.000Z' });
    const loaded = loadCardImage(path);
    expect(loaded.profile).toEqual({ name: 'jcop4', atr: '3B8F' });
    expect(loaded.createdAt).toBe('2025-01-01T00:00:00.000Z');
    expect(loaded.store.image()).toEqual(store.image());
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe(CARD_IMAGE_FORMAT);
  });

  it('writes through a temporary file and leaves nothing else behind', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, { profile: 1, store: new PersistentStore({ capacity: 10 }) });
    saveCardImage(path, { profile: 2, store: new PersistentStore({ capacity: 10 }) });
    expect(readdirSync(dir)).toEqual(['card.json']);
    expect(loadCardImage(path).profile).toBe(2);
  });

  it('keeps a torn card torn across save and load, recovered at the next power-up', () => {
    const store = new PersistentStore({ capacity: 100 });
    store.write('counter', fromHex('01'));
    store.onWrite((w) => (w.kind === 'data' ? 'tear' : undefined));
    expect(() => store.write('counter', fromHex('0203'))).toThrow(PowerLossError);
    const path = join(dir, 'card.json');
    saveCardImage(path, { profile: {}, store });
    const { store: loaded } = loadCardImage(path);
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
    ['{"format":"cardlab-card-image/2","profile":{},"persistent":""}', "format is \"cardlab-card-image/2\", expected 'cardlab-card-image/1'"],
    ['{"format":"cardlab-card-image/1","persistent":""}', "missing 'profile'"],
    ['{"format":"cardlab-card-image/1","profile":{},"persistent":"not base64!"}', "'persistent' must be a base64 string"],
    ['{"format":"cardlab-card-image/1","profile":{},"persistent":"","createdAt":5}', "'createdAt' must be a string"],
  ])('refuses the wrong shape %s', (content, reason) => {
    const error = cardImageError(fileWith(content));
    expect(error.code).toBe('BAD_FORMAT');
    expect(error.reason).toBe(reason);
  });

  it('refuses a corrupt persistent memory image with BAD_IMAGE', () => {
    const path = join(dir, 'card.json');
    saveCardImage(path, { profile: {}, store: new PersistentStore({ capacity: 100 }) });
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const image = Buffer.from(file.persistent, 'base64');
    image[6]! ^= 0xff;
    file.persistent = image.toString('base64');
    const error = cardImageError(fileWith(JSON.stringify(file)));
    expect(error.code).toBe('BAD_IMAGE');
    expect(error.reason).toMatch(/checksum mismatch/);
  });
});
