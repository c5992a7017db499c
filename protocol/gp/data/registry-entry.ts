import { buildTlv, parseTlv, findTlv, findAll } from '../../tlv/index.ts';
import { concat } from '../../bytes.ts';

/** One GlobalPlatform Registry entry as GET STATUS reports it (GPCS 11.4.3, Tables 11-36/11-37). */
export interface RegistryEntry {
  aid: Uint8Array;
  /** Life cycle state byte (ISD: the card life cycle; ELF 01 LOADED; application 03/07/…). */
  lifeCycle: number;
  /** 3-byte privileges (ISD, applications, SDs). */
  privileges?: Uint8Array;
  /** Implicit selection parameters (CF), applications only. */
  implicitSelection?: number[];
  /** Executable Load File AID of an application (C4). */
  elfAid?: Uint8Array;
  /** ELF version, `<major> <minor>` for Java Card (CE). */
  version?: Uint8Array;
  /** Executable Module AIDs (84), ELFs with P1 = 10 only. */
  modules?: Uint8Array[];
  /** Associated Security Domain AID (CC). */
  associatedSd?: Uint8Array;
}

/** GET STATUS subsets (P1, GPCS Table 11-33). */
export const STATUS_SUBSET = { ISD: 0x80, APPLICATIONS: 0x40, LOAD_FILES: 0x20, LOAD_FILES_AND_MODULES: 0x10 } as const;

/** The tags an entry carries when no tag list (5C) is given, in the order the card returns them. */
export function defaultStatusTags(subset: number): number[] {
  switch (subset) {
    case STATUS_SUBSET.ISD: return [0x4f, 0x9f70, 0xc5];
    case STATUS_SUBSET.APPLICATIONS: return [0x4f, 0x9f70, 0xc5, 0xcf, 0xc4, 0xcc];
    case STATUS_SUBSET.LOAD_FILES: return [0x4f, 0x9f70, 0xce, 0xcc];
    default: return [0x4f, 0x9f70, 0xce, 0x84, 0xcc];
  }
}

/** Builds `E3 { … }` with the given tags, in that order; tags the entry has no value for are skipped. */
export function buildRegistryEntry(entry: RegistryEntry, tags: number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const tag of tags) {
    switch (tag) {
      case 0x4f: parts.push(buildTlv(0x4f, entry.aid)); break;
      case 0x9f70: parts.push(buildTlv(0x9f70, new Uint8Array([entry.lifeCycle]))); break;
      case 0xc5: if (entry.privileges) parts.push(buildTlv(0xc5, entry.privileges)); break;
      case 0xcf: for (const p of entry.implicitSelection ?? []) parts.push(buildTlv(0xcf, new Uint8Array([p]))); break;
      case 0xc4: if (entry.elfAid) parts.push(buildTlv(0xc4, entry.elfAid)); break;
      case 0xce: if (entry.version) parts.push(buildTlv(0xce, entry.version)); break;
      case 0x84: for (const m of entry.modules ?? []) parts.push(buildTlv(0x84, m)); break;
      case 0xcc: if (entry.associatedSd) parts.push(buildTlv(0xcc, entry.associatedSd)); break;
      default: break;
    }
  }
  return buildTlv(0xe3, concat(...parts));
}

/**
 * The deprecated GP 2.1.1 format (P2 = 00/01, GP211 Tables 9-22/9-24): `<L> <AID> <life cycle> <privileges 1>`,
 * and for P1 = 10 `<L> <AID> <life cycle> 00 <n> {<L> <module AID>}`.
 */
export function buildLegacyRegistryEntry(entry: RegistryEntry, subset: number): Uint8Array {
  const head = concat(new Uint8Array([entry.aid.length]), entry.aid, new Uint8Array([entry.lifeCycle]));
  if (subset === STATUS_SUBSET.LOAD_FILES_AND_MODULES) {
    const modules = entry.modules ?? [];
    return concat(head, new Uint8Array([0x00, modules.length]), ...modules.map((m) => concat(new Uint8Array([m.length]), m)));
  }
  return concat(head, new Uint8Array([entry.privileges ? entry.privileges[0]! : 0x00]));
}

/** Host side: parses a TLV-format GET STATUS response (concatenated E3 entries). Tolerates 2-byte 9F70 and extra tags. */
export function parseRegistryEntries(data: Uint8Array): RegistryEntry[] {
  return parseTlv(data)
    .filter((t) => t.tag === 0xe3)
    .map((e) => {
      const inner = parseTlv(e.value);
      const v = (tag: number) => findTlv(inner, tag)?.value;
      const entry: RegistryEntry = { aid: v(0x4f) ?? new Uint8Array(0), lifeCycle: v(0x9f70)?.[0] ?? 0 };
      if (v(0xc5)) entry.privileges = v(0xc5)!;
      if (v(0xc4)) entry.elfAid = v(0xc4)!;
      if (v(0xce)) entry.version = v(0xce)!;
      if (v(0xcc)) entry.associatedSd = v(0xcc)!;
      const modules = findAll(inner, 0x84).map((t) => t.value);
      if (modules.length) entry.modules = modules;
      const cf = findAll(inner, 0xcf).map((t) => t.value[0] ?? 0);
      if (cf.length) entry.implicitSelection = cf;
      return entry;
    });
}
