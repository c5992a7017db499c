import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { generateEcKeyPair, isValidEcPublicKey, type EcCurve, type RandomSource } from '../../../protocol/crypto/index.ts';
import type { DapPrivateKey } from '../../../protocol/gp/dap.ts';
import { createIssuerCa, type IssuerCa } from '../../../protocol/pki/index.ts';

/** The issuer's keys: its CA (certifies card keys at personalisation) and its DAP key (signs Load File Data Block Hashes). */
export interface IssuerKeys {
  ca: IssuerCa;
  dap: { curve: EcCurve; privateKey: Uint8Array; publicKey: Uint8Array };
}

/** The DAP key as `protocol/gp/dap.ts` signs with. */
export function dapSigningKey(keys: IssuerKeys): DapPrivateKey {
  return { type: 'ecdsa', curve: keys.dap.curve, privateKey: keys.dap.privateKey };
}

interface KeyFile {
  curve: EcCurve;
  privateKey: string;
  publicKey: string;
}

const CA_CERTIFICATE = 'issuer-ca.der';
const CA_KEY = 'issuer-ca-key.json';
const DAP_KEY = 'dap-key.json';

/** Writes a file readable by its owner only, atomically (a crash never leaves half a key). */
function writePrivate(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function readKeyFile(path: string): KeyFile {
  const k = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  if ((k.curve !== 'P-256' && k.curve !== 'brainpoolP256r1') || !isValidEcPublicKey(k.curve, fromHex(k.publicKey)) || fromHex(k.privateKey).length !== 32) {
    throw new Error(`${path} is not a cardlab EC key file`);
  }
  return k;
}

/**
 * The issuer's keys from `dir` (`issuer-ca.der`, `issuer-ca-key.json`, `dap-key.json`), created on
 * first start from `random`. Key files are mode 0600; their contents never reach a log.
 */
export async function loadOrCreateIssuerKeys(dir: string, random: RandomSource, options: { curve?: EcCurve } = {}): Promise<IssuerKeys> {
  mkdirSync(dir, { recursive: true });
  const curve = options.curve ?? 'P-256';
  const certPath = join(dir, CA_CERTIFICATE);
  const caKeyPath = join(dir, CA_KEY);
  const dapPath = join(dir, DAP_KEY);

  let ca: IssuerCa;
  if (existsSync(certPath) && existsSync(caKeyPath)) {
    const k = readKeyFile(caKeyPath);
    ca = { certificate: new Uint8Array(readFileSync(certPath)), privateKey: fromHex(k.privateKey), publicKey: fromHex(k.publicKey), curve: k.curve };
  } else {
    ca = await createIssuerCa({ curve, random, name: 'cardlab Issuer CA' });
    writePrivate(caKeyPath, JSON.stringify({ curve: ca.curve, privateKey: toHex(ca.privateKey), publicKey: toHex(ca.publicKey) } satisfies KeyFile));
    writePrivate(certPath, ca.certificate);
  }

  let dap: IssuerKeys['dap'];
  if (existsSync(dapPath)) {
    const k = readKeyFile(dapPath);
    dap = { curve: k.curve, privateKey: fromHex(k.privateKey), publicKey: fromHex(k.publicKey) };
  } else {
    const pair = generateEcKeyPair(curve, random);
    dap = { curve, ...pair };
    writePrivate(dapPath, JSON.stringify({ curve, privateKey: toHex(pair.privateKey), publicKey: toHex(pair.publicKey) } satisfies KeyFile));
  }
  return { ca, dap };
}

/** Keys for tests: nothing written anywhere. */
export async function createIssuerKeys(random: RandomSource, curve: EcCurve = 'P-256'): Promise<IssuerKeys> {
  const ca = await createIssuerCa({ curve, random, name: 'cardlab Issuer CA' });
  const pair = generateEcKeyPair(curve, random);
  return { ca, dap: { curve, ...pair } };
}
