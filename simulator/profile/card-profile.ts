import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Validator } from 'jsonschema';
import { fromHex } from '../../protocol/bytes.ts';
import { buildCplc, type Cplc } from '../../protocol/gp/data/index.ts';
import { CARD_LIFE_CYCLE, type CardLifeCycle } from '../../protocol/gp/data/index.ts';
import { DEFAULT_PROFILE } from './default-profile.ts';
import type { EcCurve } from '../../protocol/crypto/index.ts';
import type { DapPublicKey } from '../../protocol/gp/dap.ts';

const require = createRequire(import.meta.url);
const SCHEMA = require('./card-profile.schema.json') as object;

/** A profile as written in a JSON file (every field optional; see card-profile.schema.json). */
export interface CardProfileInput {
  $schema?: string;
  name?: string;
  atr?: string;
  gpVersion?: string;
  isdAid?: string;
  isdPrivileges?: string;
  lifeCycle?: CardLifeCycle;
  iin?: string;
  cin?: string;
  cplc?: string | Partial<Cplc>;
  keys?: Array<{ kvn: string; enc: string; mac: string; dek: string; sequenceCounter?: number }>;
  scp03?: { i?: string; kdd?: string };
  memory?: { persistent?: number; transient?: number };
  maxCommandData?: number;
  extendedLength?: boolean;
  preloaded?: Array<{ aid: string; version?: string; modules?: string[] }>;
  contentSecurityLevel?: string;
  cardKey?: { curve?: EcCurve };
  receipts?: { type: 'ecdsa' } | { type: 'aes'; key: string } | { type: 'none' };
  dap?: {
    required?: boolean;
    key: { type: 'ecdsa'; curve: EcCurve; publicKey: string } | { type: 'rsa'; modulus: string; exponent: string } | { type: 'aes'; key: string };
  };
}

export interface Keyset {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
  sequenceCounter: number;
}

/** A profile with defaults applied and every byte field decoded: what the card is built from. */
export interface CardProfile {
  name: string;
  atr: Uint8Array;
  gpVersion: string;
  isdAid: Uint8Array;
  isdPrivileges: Uint8Array;
  lifeCycle: number;
  iin: Uint8Array;
  /** Undefined: drawn from the card's random source at personalisation. */
  cin: Uint8Array | undefined;
  /** The 42-byte CPLC; the IC serial number is drawn at personalisation when `cplcSerialFixed` is false. */
  cplc: Uint8Array;
  cplcSerialFixed: boolean;
  keys: Keyset[];
  scp03: { i: number; kdd: Uint8Array };
  memory: { persistent: number; transient: number };
  maxCommandData: number;
  extendedLength: boolean;
  preloaded: Array<{ aid: Uint8Array; version: Uint8Array; modules: Uint8Array[] }>;
  /** Minimum security level of INSTALL / LOAD / DELETE. */
  contentSecurityLevel: number;
  cardKeyCurve: EcCurve;
  receipts: { type: 'ecdsa' } | { type: 'aes'; key: Uint8Array } | { type: 'none' };
  /** The DAP verification key of the ISD, if it has DAP Verification. */
  dap: { required: boolean; key: DapPublicKey } | undefined;
}

export class ProfileError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly path?: string,
  ) {
    super(file ? `${file}${path ? ` at ${path}` : ''}: ${message}` : path ? `${path}: ${message}` : message);
    this.name = 'ProfileError';
  }
}

/** Validates raw JSON against the profile schema (draft-07); throws ProfileError naming the first bad path. */
export function validateProfile(input: unknown, file?: string): CardProfileInput {
  const result = new Validator().validate(input, SCHEMA, { nestedErrors: true });
  if (!result.valid) {
    const e = result.errors[0]!;
    const path = `$${e.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
    throw new ProfileError(e.message, file, path);
  }
  return input as CardProfileInput;
}

/** Reads and validates a profile file; a JSON syntax error names the line and column. */
export function readProfileFile(file: string): CardProfileInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProfileError(`cannot read profile: ${(err as Error).message}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const col = Number(pos[1]) - before.lastIndexOf('\n');
      throw new ProfileError(`invalid JSON at line ${line}, column ${col}: ${msg}`, file);
    }
    throw new ProfileError(`invalid JSON: ${msg}`, file);
  }
  return validateProfile(json, file);
}

function checkAtr(atr: Uint8Array): void {
  if (atr.length < 2 || atr.length > 33) throw new ProfileError(`ATR must be 2..33 bytes, got ${atr.length}`, undefined, '$.atr');
  if (atr[0] !== 0x3b && atr[0] !== 0x3f) throw new ProfileError('ATR must start with TS = 3B or 3F', undefined, '$.atr');
  // ISO 7816-3 §8.2: walk the interface bytes (TAi TBi TCi TDi); TCK is present unless only T=0 is offered.
  let y = atr[1]! >> 4;
  let pos = 2;
  let onlyT0 = true;
  for (;;) {
    pos += (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1);
    if (!(y & 8)) break;
    const td = atr[pos];
    if (td === undefined) throw new ProfileError('ATR is truncated inside its interface bytes', undefined, '$.atr');
    pos++;
    if ((td & 0x0f) !== 0) onlyT0 = false;
    y = td >> 4;
  }
  const expected = pos + (atr[1]! & 0x0f) + (onlyT0 ? 0 : 1);
  if (expected !== atr.length) throw new ProfileError(`ATR length ${atr.length} does not match its interface and historical bytes (${expected})`, undefined, '$.atr');
  if (!onlyT0) {
    let x = 0;
    for (let i = 1; i < atr.length; i++) x ^= atr[i]!;
    if (x !== 0) throw new ProfileError('ATR check byte TCK is wrong', undefined, '$.atr');
  }
}

/** Resolved profiles by the text of their input (see cacheKey), oldest first; a few dozen at most. */
const RESOLVED = new Map<string, CardProfile>();
const MAX_RESOLVED = 64;
let resolvedDefault: CardProfile | undefined;

/**
 * Applies the defaults to a validated profile and decodes its hex fields. Every card made from equal
 * input shares one resolved profile, frozen (its byte fields are not copied: they must not be written):
 * validating and decoding it again was a third of the cost of creating a card, and each card's private
 * copy of the default profile some 5 KB of its memory. Only a successful resolution is remembered.
 */
export function resolveProfile(input: CardProfileInput = {}): CardProfile {
  if (isEmpty(input)) return (resolvedDefault ??= freezeProfile(resolveAfresh({})));
  const key = cacheKey(input);
  if (key === undefined) return freezeProfile(resolveAfresh(input));
  let profile = RESOLVED.get(key);
  if (!profile) {
    profile = freezeProfile(resolveAfresh(input));
    if (RESOLVED.size >= MAX_RESOLVED) RESOLVED.delete(RESOLVED.keys().next().value!);
    RESOLVED.set(key, profile);
  }
  return profile;
}

function isEmpty(input: object): boolean {
  for (const _ in input) return false;
  return true;
}

/**
 * The input as JSON text in which no two different inputs meet: every string is prefixed `s`, and what
 * JSON would silently merge (undefined, NaN, ±Infinity) is spelled out. Undefined unless the input is
 * plain JSON data (a function, a Date, a typed array, a cycle…): such input is resolved afresh every time.
 */
function cacheKey(input: CardProfileInput): string | undefined {
  try {
    return JSON.stringify(input, function (this: Record<string, unknown>, key, v: unknown) {
      const raw = key === '' ? input : this[key];
      if (typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') throw new TypeError('not JSON');
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.getPrototypeOf(raw) !== Object.prototype) throw new TypeError('not JSON');
      if (typeof v === 'string') return `s${v}`;
      if (v === undefined) return 'u';
      if (typeof v === 'number' && !Number.isFinite(v)) return `n${v}`;
      return v;
    });
  } catch {
    return undefined;
  }
}

/** Freezes the profile's objects and arrays (typed arrays cannot be frozen). */
function freezeProfile(profile: CardProfile): CardProfile {
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const x of Object.values(v)) freeze(x);
  };
  freeze(profile);
  return profile;
}

function resolveAfresh(input: CardProfileInput): CardProfile {
  validateProfile(input);
  const d = DEFAULT_PROFILE;
  const atr = fromHex(input.atr ?? d.atr);
  checkAtr(atr);
  const cplcInput = input.cplc ?? d.cplc!;
  const cplc = typeof cplcInput === 'string' ? fromHex(cplcInput) : buildCplc(cplcInput);
  const cplcSerialFixed = typeof cplcInput === 'string' || cplcInput.icSerialNumber !== undefined;
  const keys = (input.keys ?? d.keys).map((k) => {
    const ks = { kvn: parseInt(k.kvn, 16), enc: fromHex(k.enc), mac: fromHex(k.mac), dek: fromHex(k.dek), sequenceCounter: k.sequenceCounter ?? 0 };
    if (ks.enc.length !== ks.mac.length || ks.enc.length !== ks.dek.length) throw new ProfileError('ENC, MAC and DEK of a keyset must have the same length', undefined, `$.keys[kvn ${k.kvn}]`);
    if (ks.kvn === 0 || ks.kvn === 0xff) throw new ProfileError('KVN 00 and FF are reserved (00 means "any" in INITIALIZE UPDATE)', undefined, `$.keys[kvn ${k.kvn}]`);
    return ks;
  });
  if (new Set(keys.map((k) => k.kvn)).size !== keys.length) throw new ProfileError('two keysets share a KVN', undefined, '$.keys');
  const scp = { ...d.scp03, ...input.scp03 };
  const i = parseInt(scp.i!, 16);
  if (i & 0x80) throw new ProfileError('SCP03 i must be below 80', undefined, '$.scp03.i');
  return {
    name: input.name ?? d.name,
    atr,
    gpVersion: input.gpVersion ?? d.gpVersion,
    isdAid: fromHex(input.isdAid ?? d.isdAid),
    isdPrivileges: withDapPrivilege(fromHex(input.isdPrivileges ?? d.isdPrivileges), input.dap),
    lifeCycle: CARD_LIFE_CYCLE[input.lifeCycle ?? d.lifeCycle],
    iin: fromHex(input.iin ?? d.iin),
    cin: input.cin !== undefined ? fromHex(input.cin) : undefined,
    cplc,
    cplcSerialFixed,
    keys,
    scp03: { i, kdd: fromHex(scp.kdd!) },
    memory: { persistent: input.memory?.persistent ?? d.memory.persistent!, transient: input.memory?.transient ?? d.memory.transient! },
    maxCommandData: input.maxCommandData ?? d.maxCommandData,
    extendedLength: input.extendedLength ?? d.extendedLength,
    contentSecurityLevel: parseInt(input.contentSecurityLevel ?? '01', 16),
    cardKeyCurve: input.cardKey?.curve ?? 'P-256',
    receipts: resolveReceipts(input.receipts),
    dap: input.dap ? { required: input.dap.required ?? true, key: resolveDapKey(input.dap.key) } : undefined,
    preloaded: (input.preloaded ?? d.preloaded).map((p) => {
      const [major, minor] = (p.version ?? '1.0').split('.').map(Number);
      return { aid: fromHex(p.aid), version: new Uint8Array([major!, minor!]), modules: (p.modules ?? []).map(fromHex) };
    }),
  };
}

function resolveReceipts(r: CardProfileInput['receipts']): CardProfile['receipts'] {
  if (!r || r.type === 'ecdsa') return { type: 'ecdsa' };
  if (r.type === 'aes') return { type: 'aes', key: fromHex(r.key) };
  return { type: 'none' };
}

function resolveDapKey(k: NonNullable<CardProfileInput['dap']>['key']): DapPublicKey {
  if (k.type === 'ecdsa') return { type: 'ecdsa', curve: k.curve, publicKey: fromHex(k.publicKey) };
  if (k.type === 'rsa') return { type: 'rsa', modulus: fromHex(k.modulus), exponent: fromHex(k.exponent) };
  return { type: 'aes', key: fromHex(k.key) };
}

/**
 * An ISD holding a DAP key verifies DAPs: it gets DAP Verification (C0), or Mandated DAP Verification
 * (C1) when the profile requires a DAP on every load (GPCS Table 11-7), so GET STATUS tells the truth.
 */
function withDapPrivilege(privileges: Uint8Array, dap: CardProfileInput['dap']): Uint8Array {
  if (!dap) return privileges;
  const out = Uint8Array.from(privileges);
  out[0] = out[0]! | (dap.required === false ? 0xc0 : 0xc1);
  return out;
}
