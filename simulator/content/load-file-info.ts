import { readU16 } from '../../protocol/bytes.ts';

/** What the card reads from a Java Card Load File Data Block (reference §12.2). */
export interface LoadFileInfo {
  packageAid: Uint8Array;
  /** `<major> <minor>` as GET STATUS CE reports it. */
  version: Uint8Array;
  /** Applet class AIDs: the Executable Modules. */
  modules: Uint8Array[];
  imports: Array<{ aid: Uint8Array; major: number; minor: number }>;
}

export class LoadFileFormatError extends Error {
  override readonly name = 'LoadFileFormatError';
}

const HEADER = 1;
const APPLET = 3;
const IMPORT = 4;

/**
 * Walks the components of an LFDB (`<tag 1> <size 2> <payload>` each, in any order) and reads the
 * Header (magic DECAFFED, package version and AID), the Applet and the Import components. Strict:
 * a component running past the end, a missing Header or a bad AID length is a LoadFileFormatError
 * (the card answers 6A80).
 */
export function readLoadFileInfo(lfdb: Uint8Array): LoadFileInfo {
  const components = new Map<number, Uint8Array>();
  let off = 0;
  while (off < lfdb.length) {
    if (off + 3 > lfdb.length) throw new LoadFileFormatError(`component header truncated at offset ${off}`);
    const tag = lfdb[off]!;
    const size = readU16(lfdb, off + 1);
    if (off + 3 + size > lfdb.length) throw new LoadFileFormatError(`component ${tag} at offset ${off} says ${size} bytes, ${lfdb.length - off - 3} present`);
    if (components.has(tag)) throw new LoadFileFormatError(`component ${tag} appears twice`);
    components.set(tag, lfdb.subarray(off + 3, off + 3 + size));
    off += 3 + size;
  }
  const header = components.get(HEADER);
  if (!header) throw new LoadFileFormatError('no Header component');
  if (header.length < 10 || header[0] !== 0xde || header[1] !== 0xca || header[2] !== 0xff || header[3] !== 0xed) throw new LoadFileFormatError('Header magic is not DECAFFED');
  const aidLength = header[9]!;
  if (aidLength < 5 || aidLength > 16 || 10 + aidLength > header.length) throw new LoadFileFormatError(`Header package AID length ${aidLength} is invalid`);
  const info: LoadFileInfo = {
    packageAid: header.subarray(10, 10 + aidLength),
    version: new Uint8Array([header[8]!, header[7]!]),
    modules: [],
    imports: [],
  };
  const applet = components.get(APPLET);
  if (applet) {
    let p = 1;
    for (let i = 0; i < (applet[0] ?? 0); i++) {
      const len = applet[p];
      if (len === undefined || len < 5 || len > 16 || p + 1 + len + 2 > applet.length) throw new LoadFileFormatError(`Applet component entry ${i} is malformed`);
      info.modules.push(applet.subarray(p + 1, p + 1 + len));
      p += 1 + len + 2;
    }
  }
  const imports = components.get(IMPORT);
  if (imports) {
    let p = 1;
    for (let i = 0; i < (imports[0] ?? 0); i++) {
      const len = imports[p + 2];
      if (len === undefined || len < 5 || len > 16 || p + 3 + len > imports.length) throw new LoadFileFormatError(`Import component entry ${i} is malformed`);
      info.imports.push({ minor: imports[p]!, major: imports[p + 1]!, aid: imports.subarray(p + 3, p + 3 + len) });
      p += 3 + len;
    }
  }
  return info;
}
