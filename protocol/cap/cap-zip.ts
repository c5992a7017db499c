import { unzipSync, zipSync } from 'fflate';
import { CapError } from './cap-error.ts';
import { isComponentName, type ComponentName } from './components.ts';

/** A component entry found in the archive. */
export interface CapEntry {
  path: string;
  bytes: Uint8Array;
}

const ENTRY = /^(?:(.*)\/)?javacard\/([A-Za-z]+)\.cap$/;
/** A component's size field is 2 bytes, so no genuine entry is larger; bigger ones are refused before inflating. */
const MAX_COMPONENT_BYTES = 3 + 0xffff;

/**
 * Extracts the `<package path>/javacard/<Component>.cap` entries of a CAP archive (JCVM §6.1).
 * Other entries (META-INF, custom components) are skipped without inflating them. fflate's own
 * errors become CapError: TRUNCATED when the bytes start like a ZIP, NOT_A_ZIP otherwise.
 */
export function readCapEntries(zipBytes: Uint8Array): { entries: Map<ComponentName, CapEntry>; packagePath?: string } {
  const folders = new Map<ComponentName, string>();
  let packagePath: string | undefined;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zipBytes, {
      filter: (file) => {
        const m = ENTRY.exec(file.name);
        if (!m || !isComponentName(m[2]!)) return false;
        const name = m[2];
        if (folders.has(name)) throw new CapError('DUPLICATE_COMPONENT', `${name}.cap appears twice (${folders.get(name)} and ${file.name})`, { component: name });
        const folder = m[1] ?? '';
        if (packagePath !== undefined && folder !== packagePath) {
          throw new CapError('BAD_COMPONENT', `entry ${file.name} is outside the package folder ${packagePath || '(root)'}`, { component: name });
        }
        if (file.originalSize > MAX_COMPONENT_BYTES) {
          throw new CapError('BAD_COMPONENT', `entry inflates to ${file.originalSize} bytes, more than a component can hold (${MAX_COMPONENT_BYTES})`, { component: name });
        }
        packagePath = folder;
        folders.set(name, file.name);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof CapError) throw err;
    const looksLikeZip = zipBytes.length >= 4 && zipBytes[0] === 0x50 && zipBytes[1] === 0x4b && zipBytes[2] === 0x03 && zipBytes[3] === 0x04;
    const why = err instanceof Error ? err.message : String(err);
    if (looksLikeZip) throw new CapError('TRUNCATED', `ZIP archive of ${zipBytes.length} bytes is cut short or damaged (${why})`);
    throw new CapError('NOT_A_ZIP', `${zipBytes.length} bytes are not a ZIP archive (${why})`);
  }
  const entries = new Map<ComponentName, CapEntry>();
  for (const [name, path] of folders) entries.set(name, { path, bytes: files[path]! });
  return packagePath ? { entries, packagePath } : { entries };
}

/** DOS timestamps start in 1980; a fixed local time keeps the archive bytes independent of clock and time zone. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Writes a CAP archive with entries in the given order and fixed timestamps, so equal input gives equal bytes. */
export function writeCapZip(files: ReadonlyArray<{ path: string; bytes: Uint8Array }>): Uint8Array {
  const zippable: Record<string, Uint8Array> = {};
  for (const f of files) zippable[f.path] = f.bytes;
  return zipSync(zippable, { level: 6, mtime: FIXED_MTIME });
}
