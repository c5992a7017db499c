import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { generateEcKeyPair, isValidEcPublicKey, type EcCurve, type RandomSource } from '../../../protocol/crypto/index.ts';
import type { DapPrivateKey } from '../../../protocol/gp/dap.ts';
import { createIssuerCa, type IssuerCa } from '../../../protocol/pki/index.ts';
import { ensurePrivateDir, SecretBox, writePrivateFileAtomic } from '../../../protocol/secrets/index.ts';

const fromBase64 = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** The issuer's keys: its CA (certifies card keys at personalisation) and its DAP key (signs Load File Data Block Hashes). */
export interface IssuerKeys {
  ca: IssuerCa;
  dap: { curve: EcCurve; privateKey: Uint8Array; publicKey: Uint8Array };
  /** AES-256 master key the per-card ISD keys are diversified from (protocol/gp/key-diversification.ts). */
  cardMasterKey: Uint8Array;
}

/** The DAP key as `protocol/gp/dap.ts` signs with. */
export function dapSigningKey(keys: IssuerKeys): DapPrivateKey {
  return { type: 'ecdsa', curve: keys.dap.curve, privateKey: keys.dap.privateKey };
}

/** A key file: the private key sealed with the data keyring (`sealedPrivateKey`, base64), or plain hex in files of earlier versions. */
interface KeyFile {
  curve: EcCurve;
  privateKey?: string;
  sealedPrivateKey?: string;
  publicKey: string;
}

const CA_CERTIFICATE = 'issuer-ca.der';
const CA_KEY = 'issuer-ca-key.json';
const DAP_KEY = 'dap-key.json';
const MASTER_KEY = 'card-master-key.json';

function writeKeyFile(path: string, box: SecretBox, curve: EcCurve, privateKey: Uint8Array, publicKey: Uint8Array): void {
  const sealed = Buffer.from(box.seal(privateKey, `issuer-keys/${path.split('/').pop()}`)).toString('base64');
  writePrivateFileAtomic(path, JSON.stringify({ curve, sealedPrivateKey: sealed, publicKey: toHex(publicKey) } satisfies KeyFile));
}

/** Reads a key file; a plain one (earlier versions) is re-written sealed. */
function readKeyFile(path: string, box: SecretBox): { curve: EcCurve; privateKey: Uint8Array; publicKey: Uint8Array } {
  const k = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  const at = `issuer-keys/${path.split('/').pop()}`;
  const privateKey = k.sealedPrivateKey !== undefined ? box.open(fromBase64(k.sealedPrivateKey), at) : fromHex(k.privateKey ?? '');
  if ((k.curve !== 'P-256' && k.curve !== 'brainpoolP256r1') || !isValidEcPublicKey(k.curve, fromHex(k.publicKey)) || privateKey.length !== 32) {
    throw new Error(`${path} is not a cardlab EC key file`);
  }
  const key = { curve: k.curve, privateKey, publicKey: fromHex(k.publicKey) };
  if (k.sealedPrivateKey === undefined || box.currentKeyId !== SecretBox.keyIdOf(fromBase64(k.sealedPrivateKey))) writeKeyFile(path, box, key.curve, key.privateKey, key.publicKey);
  return key;
}

/**
 * The issuer's keys from `dir` (`issuer-ca.der`, `issuer-ca-key.json`, `dap-key.json`,
 * `card-master-key.json`), created on first start from `random`. The directory is 0700, key files
 * 0600 with their private keys sealed by `box` (the data keyring); they never reach a log.
 */
export async function loadOrCreateIssuerKeys(dir: string, random: RandomSource, box: SecretBox, options: { curve?: EcCurve } = {}): Promise<IssuerKeys> {
  ensurePrivateDir(dir);
  const curve = options.curve ?? 'P-256';
  const certPath = join(dir, CA_CERTIFICATE);
  const caKeyPath = join(dir, CA_KEY);
  const dapPath = join(dir, DAP_KEY);

  let ca: IssuerCa;
  if (existsSync(certPath) && existsSync(caKeyPath)) {
    const k = readKeyFile(caKeyPath, box);
    ca = { certificate: new Uint8Array(readFileSync(certPath)), privateKey: k.privateKey, publicKey: k.publicKey, curve: k.curve };
  } else {
    ca = await createIssuerCa({ curve, random, name: 'cardlab Issuer CA' });
    writeKeyFile(caKeyPath, box, ca.curve, ca.privateKey, ca.publicKey);
    writePrivateFileAtomic(certPath, ca.certificate);
  }

  let dap: IssuerKeys['dap'];
  if (existsSync(dapPath)) {
    dap = readKeyFile(dapPath, box);
  } else {
    const pair = generateEcKeyPair(curve, random);
    dap = { curve, ...pair };
    writeKeyFile(dapPath, box, curve, pair.privateKey, pair.publicKey);
  }

  const masterPath = join(dir, MASTER_KEY);
  let cardMasterKey: Uint8Array;
  if (existsSync(masterPath)) {
    const k = JSON.parse(readFileSync(masterPath, 'utf8')) as { sealedKey: string };
    cardMasterKey = box.open(fromBase64(k.sealedKey), 'issuer-keys/card-master-key');
    if (SecretBox.keyIdOf(fromBase64(k.sealedKey)) !== box.currentKeyId) writeMasterKey(masterPath, box, cardMasterKey);
  } else {
    cardMasterKey = random.bytes(32);
    writeMasterKey(masterPath, box, cardMasterKey);
  }
  return { ca, dap, cardMasterKey };
}

function writeMasterKey(path: string, box: SecretBox, key: Uint8Array): void {
  writePrivateFileAtomic(path, JSON.stringify({ sealedKey: Buffer.from(box.seal(key, 'issuer-keys/card-master-key')).toString('base64') }));
}

/** Keys for tests: nothing written anywhere. */
export async function createIssuerKeys(random: RandomSource, curve: EcCurve = 'P-256'): Promise<IssuerKeys> {
  const ca = await createIssuerCa({ curve, random, name: 'cardlab Issuer CA' });
  const pair = generateEcKeyPair(curve, random);
  return { ca, dap: { curve, ...pair }, cardMasterKey: random.bytes(32) };
}
