import { buildTlv, parseTlv, findTlv, findAll } from '../../protocol/tlv/index.ts';
import { concat, equalBytes, u32, readUint, toHex } from '../../protocol/bytes.ts';
import type { PersistentStore } from '../storage/index.ts';
import { STORE_KEY, ELF_PREFIX, APP_PREFIX } from '../storage-keys.ts';

/** A loaded Executable Load File as the card keeps it in persistent memory. */
export interface LoadFileRecord {
  aid: Uint8Array;
  version: Uint8Array;
  associatedSd: Uint8Array;
  modules: Uint8Array[];
  /** Order of loading (GET STATUS lists entries in registry order). */
  sequence: number;
}

/** An application instance in the registry. */
export interface ApplicationRecord {
  aid: Uint8Array;
  elfAid: Uint8Array;
  moduleAid: Uint8Array;
  lifeCycle: number;
  privileges: Uint8Array;
  associatedSd: Uint8Array;
  /** The C9 application parameters given at install. */
  parameters: Uint8Array;
  sequence: number;
}

/*
 * Records are small BER-TLV objects (the same tags GET STATUS uses, GPCS Table 11-36), so a dumped card
 * image reads like a registry: 4F AID, CE version, CC SD, 84 module, C4 ELF, 9F70 life cycle,
 * C5 privileges, C9 parameters, and 81 for the registry sequence number.
 */

export function encodeLoadFile(r: LoadFileRecord): Uint8Array {
  return concat(
    buildTlv(0x4f, r.aid),
    buildTlv(0xce, r.version),
    buildTlv(0xcc, r.associatedSd),
    ...r.modules.map((m) => buildTlv(0x84, m)),
    buildTlv(0x81, u32(r.sequence)),
  );
}

export function decodeLoadFile(bytes: Uint8Array): LoadFileRecord {
  const t = parseTlv(bytes);
  return {
    aid: findTlv(t, 0x4f)!.value,
    version: findTlv(t, 0xce)!.value,
    associatedSd: findTlv(t, 0xcc)!.value,
    modules: findAll(t, 0x84).map((m) => m.value),
    sequence: readUint(findTlv(t, 0x81)!.value),
  };
}

export function encodeApplication(r: ApplicationRecord): Uint8Array {
  return concat(
    buildTlv(0x4f, r.aid),
    buildTlv(0xc4, r.elfAid),
    buildTlv(0x84, r.moduleAid),
    buildTlv(0x9f70, new Uint8Array([r.lifeCycle])),
    buildTlv(0xc5, r.privileges),
    buildTlv(0xcc, r.associatedSd),
    buildTlv(0xc9, r.parameters),
    buildTlv(0x81, u32(r.sequence)),
  );
}

export function decodeApplication(bytes: Uint8Array): ApplicationRecord {
  const t = parseTlv(bytes);
  return {
    aid: findTlv(t, 0x4f)!.value,
    elfAid: findTlv(t, 0xc4)!.value,
    moduleAid: findTlv(t, 0x84)!.value,
    lifeCycle: findTlv(t, 0x9f70)!.value[0]!,
    privileges: findTlv(t, 0xc5)!.value,
    associatedSd: findTlv(t, 0xcc)!.value,
    parameters: findTlv(t, 0xc9)!.value,
    sequence: readUint(findTlv(t, 0x81)!.value),
  };
}

/*
 * Decoded records by their stored bytes. The store never changes an array it holds: every write stores a
 * fresh copy (so does a torn write, and recovery writing a journaled value back), and a reader must not
 * write into what get() returns. So the bytes object itself is the version of the record: a record changed
 * in any way is another object, found in no cache, and decoded once. The records are frozen, being shared
 * by every lookup; change one with `{ ...record, field }` and encode it. This spares the card a TLV decode
 * on every command to a selected applet.
 */
const LOAD_FILES = new WeakMap<Uint8Array, LoadFileRecord>();
const APPLICATIONS = new WeakMap<Uint8Array, ApplicationRecord>();

function loadFileFrom(bytes: Uint8Array): LoadFileRecord {
  let record = LOAD_FILES.get(bytes);
  if (!record) {
    record = decodeLoadFile(bytes);
    Object.freeze(record.modules);
    LOAD_FILES.set(bytes, Object.freeze(record));
  }
  return record;
}

function applicationFrom(bytes: Uint8Array): ApplicationRecord {
  let record = APPLICATIONS.get(bytes);
  if (!record) {
    record = Object.freeze(decodeApplication(bytes));
    APPLICATIONS.set(bytes, record);
  }
  return record;
}

/**
 * The lists of records by store, with the store's physicalWriteCount when they were read: every change
 * of a stored object (write, removal, abort, tear, recovery) is a physical write, so an unchanged count
 * means unchanged lists. The card reads the application list on every SELECT.
 */
const LOAD_FILE_LISTS = new WeakMap<PersistentStore, { writes: number; records: LoadFileRecord[] }>();
const APPLICATION_LISTS = new WeakMap<PersistentStore, { writes: number; records: ApplicationRecord[] }>();

/** Loaded ELFs in load order (a new array each time; the records are shared and frozen). */
export function storedLoadFiles(store: PersistentStore): LoadFileRecord[] {
  const writes = store.physicalWriteCount;
  const cached = LOAD_FILE_LISTS.get(store);
  if (cached?.writes === writes && store.powered) return cached.records.slice();
  const records = store
    .keys(ELF_PREFIX)
    .filter((k) => !k.endsWith('/lfdb'))
    .map((k) => loadFileFrom(store.get(k)!))
    .sort((a, b) => a.sequence - b.sequence);
  LOAD_FILE_LISTS.set(store, { writes, records });
  return records.slice();
}

/** Application instances in install order (a new array each time; the records are shared and frozen). */
export function storedApplications(store: PersistentStore): ApplicationRecord[] {
  const writes = store.physicalWriteCount;
  const cached = APPLICATION_LISTS.get(store);
  if (cached?.writes === writes && store.powered) return cached.records.slice();
  const records = store
    .keys(APP_PREFIX)
    .filter((k) => k.split('/').length === 2)
    .map((k) => applicationFrom(store.get(k)!))
    .sort((a, b) => a.sequence - b.sequence);
  APPLICATION_LISTS.set(store, { writes, records });
  return records.slice();
}

/** The last AID findApplication looked up (a copy) and its store key: the card asks for the same AID on every command. */
let lastAid = new Uint8Array(0);
let lastAppKey = STORE_KEY.app(lastAid);

export function findApplication(store: PersistentStore, aid: Uint8Array): ApplicationRecord | undefined {
  if (!equalBytes(aid, lastAid)) {
    lastAid = aid.slice();
    lastAppKey = STORE_KEY.app(aid);
  }
  const bytes = store.get(lastAppKey);
  return bytes ? applicationFrom(bytes) : undefined;
}

export function findLoadFile(store: PersistentStore, aid: Uint8Array): LoadFileRecord | undefined {
  const bytes = store.get(STORE_KEY.elf(aid));
  return bytes ? loadFileFrom(bytes) : undefined;
}

/** The next registry sequence number: one above every stored record. */
export function nextSequence(store: PersistentStore): number {
  let max = 0;
  for (const r of storedLoadFiles(store)) max = Math.max(max, r.sequence);
  for (const r of storedApplications(store)) max = Math.max(max, r.sequence);
  return max + 1;
}

/** Every persistent object key that belongs to an application instance (record and applet data). */
export function applicationKeys(store: PersistentStore, aid: Uint8Array): string[] {
  return store.keys(`${APP_PREFIX}${toHex(aid)}`).filter((k) => k === STORE_KEY.app(aid) || k.startsWith(`${STORE_KEY.app(aid)}/`));
}
