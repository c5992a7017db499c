import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemRandom } from '../../protocol/crypto/index.ts';
import { loadDataKeys, type SecretBox } from '../../protocol/secrets/index.ts';

/** What `cardlab serve` keeps in `secrets.json`. */
export interface DataDirSecrets {
  adminToken: string;
  providerId: string;
  providerSecret: string;
}

/**
 * The keyring and local secrets of a `cardlab serve` data directory, read as `startServers` reads
 * them (servers/serve.ts): the data keyring from CARDLAB_DATA_KEY or `keys/data-keys.json`, and
 * `secrets.json` sealed with it (`{ "sealed": base64 }`, or plain in files of earlier versions).
 */
export function openDataDir(dataDir: string): { box: SecretBox; secrets: DataDirSecrets } {
  const box = loadDataKeys({ dir: join(dataDir, 'keys'), random: systemRandom() });
  const file = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as DataDirSecrets | { sealed: string };
  const secrets = 'sealed' in file ? (JSON.parse(Buffer.from(box.open(new Uint8Array(Buffer.from(file.sealed, 'base64')), 'secrets.json')).toString('utf8')) as DataDirSecrets) : file;
  return { box, secrets };
}
