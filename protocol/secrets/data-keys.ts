import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RandomSource } from '../crypto/random-source.ts';
import { ensurePrivateDir, writePrivateFileAtomic } from './private-files.ts';
import { SecretBox, SecretBoxError, type DataKey } from './secret-box.ts';

/** The environment variable holding the data keyring: `id:hex64[,id:hex64…]`, the first one current. */
export const DATA_KEY_ENV = 'CARDLAB_DATA_KEY';
/** The key file made in a data directory when the environment gives no key: `{ "keys": [{ "id", "key" }] }`, 0600. */
export const DATA_KEY_FILE = 'data-keys.json';

/** Parses `id:hex64[,id:hex64…]` (a bare hex64 is key id `env`). */
export function parseDataKeys(text: string, source: string): DataKey[] {
  const keys = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, hex] = entry.includes(':') ? (entry.split(':', 2) as [string, string]) : ['env', entry];
      if (!/^[0-9A-Fa-f]{64}$/.test(hex)) throw new SecretBoxError('BAD_KEY', `${source}: data key ${id} must be 64 hex digits (32 bytes)`);
      return { id, key: new Uint8Array(Buffer.from(hex, 'hex')) };
    });
  if (keys.length === 0) throw new SecretBoxError('BAD_KEY', `${source} holds no data key`);
  return keys;
}

/**
 * The keyring that seals secrets at rest: from `CARDLAB_DATA_KEY` when set (nothing is written), else
 * from `<dir>/data-keys.json`, created 0600 with one fresh key on first use. Rotation: put a new key
 * first (in the variable or the file), keep the old ones after it until every secret was re-sealed.
 */
export function loadDataKeys(options: { dir: string; random: RandomSource; env?: NodeJS.ProcessEnv }): SecretBox {
  const fromEnv = (options.env ?? process.env)[DATA_KEY_ENV];
  if (fromEnv) return new SecretBox(parseDataKeys(fromEnv, DATA_KEY_ENV));
  const path = join(options.dir, DATA_KEY_FILE);
  if (existsSync(path)) {
    let json: { keys?: Array<{ id?: unknown; key?: unknown }> };
    try {
      json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
    } catch (e) {
      throw new SecretBoxError('BAD_KEY', `${path}: not JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(json.keys)) throw new SecretBoxError('BAD_KEY', `${path}: expected { "keys": [{ "id", "key" }] }`);
    return new SecretBox(parseDataKeys(json.keys.map((k) => `${String(k.id)}:${String(k.key)}`).join(','), path));
  }
  ensurePrivateDir(options.dir);
  const key = { id: 'k1', key: options.random.bytes(32) };
  writePrivateFileAtomic(path, `${JSON.stringify({ keys: [{ id: key.id, key: Buffer.from(key.key).toString('hex') }] }, null, 2)}\n`);
  return new SecretBox([key]);
}
