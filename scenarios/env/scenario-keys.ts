import { readFileSync } from 'node:fs';
import { fromHex } from '../../protocol/bytes.ts';
import type { ScenarioKeys } from '../scenario.ts';

/** Key version of a keyset that names none: the GP default keyset's (GPCS Amendment D, KVN 30). */
export const DEFAULT_KVN = '30';
/** Security level of an authenticate step when neither it nor the keys name one: C-MAC and C-DECRYPTION (Amendment D Table 7-3). */
export const DEFAULT_LEVEL = '03';

const AES_KEY = /^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$/;
const LEVELS = ['00', '01', '03', '11', '13', '33'];

/** Why a value is not a keyset (the schema's `keySet`, checked without loading a schema validator), or undefined. */
export function keySetProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object { "enc", "mac", "dek", "kvn"?, "level"? }';
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !['enc', 'mac', 'dek', 'kvn', 'level'].includes(k));
  if (unknown.length > 0) return `unknown field ${unknown.map((k) => `'${k}'`).join(', ')} (enc, mac, dek, kvn and level are known)`;
  for (const k of ['enc', 'mac', 'dek']) {
    if (typeof v[k] !== 'string' || !AES_KEY.test(v[k] as string)) return `${k} must be an AES key of 16, 24 or 32 bytes as hex, got ${JSON.stringify(v[k])}`;
  }
  if (!((v.enc as string).length === (v.mac as string).length && (v.mac as string).length === (v.dek as string).length)) return 'enc, mac and dek must be keys of one length';
  if (v.kvn !== undefined && (typeof v.kvn !== 'string' || !/^[0-9A-Fa-f]{2}$/.test(v.kvn) || parseInt(v.kvn, 16) < 1 || parseInt(v.kvn, 16) > 0x7f)) return `kvn must be 2 hex digits from "01" to "7F", got ${JSON.stringify(v.kvn)}`;
  if (v.level !== undefined && !LEVELS.includes(String(v.level))) return `level must be one of ${LEVELS.map((l) => `"${l}"`).join(', ')}, got ${JSON.stringify(v.level)}`;
  return undefined;
}

/** Reads a keys file (`cardlab run --keys FILE`): JSON with the fields of a scenario's `keys:`. Throws an Error saying what is wrong. */
export function readKeysFile(file: string): ScenarioKeys {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    // Never the parser's message: it quotes the file's text, which holds keys.
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
  }
  const problem = keySetProblem(value);
  if (problem) throw new Error(`${file}: ${problem}`);
  return value as ScenarioKeys;
}

/** A scenario keyset as the simulated card takes it (Card.installKeys) and a host session uses it. */
export function cardKeysOf(keys: ScenarioKeys): { kvn: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } {
  return { kvn: parseInt(keys.kvn ?? DEFAULT_KVN, 16), enc: fromHex(keys.enc), mac: fromHex(keys.mac), dek: fromHex(keys.dek) };
}
