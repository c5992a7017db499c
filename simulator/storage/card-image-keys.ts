import { existsSync, linkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemRandom } from '../../protocol/crypto/index.ts';
import { DATA_KEY_ENV, DATA_KEY_FILE, SecretBox, loadDataKeys, writePrivateFileAtomic } from '../../protocol/secrets/index.ts';

/** Where the keyring of a card image comes from, for error messages: the variable, else the key file beside the image. */
export function cardImageKeySource(path: string): string {
  return `${DATA_KEY_ENV} or ${join(dirname(path), DATA_KEY_FILE)}`;
}

/**
 * The data keyring that seals the card image at `path`: `CARDLAB_DATA_KEY` when set, else
 * `data-keys.json` beside the image. With `create`, a missing key file is made (0600, one fresh key
 * from the system's random source) in the image's directory, which must exist; that directory is
 * left as it is (it may be the user's working directory, which loadDataKeys would narrow to 0700).
 * Without `create`, undefined when there is no key. Keyring defects throw SecretBoxError.
 */
export function cardImageKeys(path: string, options: { create: boolean; env?: NodeJS.ProcessEnv }): SecretBox | undefined {
  const env = options.env ?? process.env;
  const dir = dirname(path);
  const keyFile = join(dir, DATA_KEY_FILE);
  if (!env[DATA_KEY_ENV] && !existsSync(keyFile)) {
    if (!options.create) return undefined;
    // The key file's documented form: { "keys": [{ "id", "key" }] }, the first key current. Written
    // beside, then hard-linked into place: link(2) never replaces a file, so a process creating the same
    // key file at the same moment cannot overwrite a key that already sealed an image (EEXIST: use theirs).
    const key = Buffer.from(systemRandom().bytes(32)).toString('hex');
    const fresh = `${keyFile}.${process.pid}.new`;
    writePrivateFileAtomic(fresh, `${JSON.stringify({ keys: [{ id: 'k1', key }] }, null, 2)}\n`);
    try {
      linkSync(fresh, keyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(fresh, { force: true });
    }
  }
  return loadDataKeys({ dir, random: systemRandom(), env });
}
