import { readU16 } from '../bytes.ts';
import { CapError } from './cap-error.ts';
import { readCapEntries } from './cap-zip.ts';
import { checkComponentFrame, COMPONENT_NAMES, type ComponentName } from './components.ts';
import { parseHeaderComponent, HEADER_FLAG } from './header-component.ts';
import { parseDirectoryComponent } from './directory-component.ts';
import { parseAppletComponent, type CapApplet } from './applet-component.ts';
import { parseImportComponent, type CapImport } from './import-component.ts';

export { loadFileDataBlock, loadFileDataBlockHash } from './load-file-data-block.ts';
export { buildLoadFile } from './load-file.ts';

/** What a host or card needs from a CAP file: the package, its applets, its imports and the raw components. */
export interface CapFile {
  packageAid: Uint8Array;
  packageVersion: { major: number; minor: number };
  capVersion: { major: number; minor: number };
  /** From the Header (CAP 2.2+), else from the archive folder (`com/example/app/javacard` → `com.example.app`). */
  packageName?: string;
  applets: CapApplet[];
  imports: CapImport[];
  /** Component name → full component bytes (tag, size, info), as stored in the archive. */
  components: Map<string, Uint8Array>;
}

/**
 * Components every CAP carries (JCVM §6.1). Applet and Export are required only when the Header
 * flags announce them. Descriptor is left optional on purpose: the LFDB GlobalPlatformPro loads
 * has none, and CAPs stripped of it for loading circulate.
 */
const REQUIRED: readonly ComponentName[] = ['Header', 'Directory', 'Import', 'ConstantPool', 'Class', 'Method', 'StaticField', 'RefLocation'];

/**
 * Reads a CAP file (a ZIP of `<package path>/javacard/<Component>.cap`, JCVM §6) strictly: each
 * component's tag and 2-byte size must match the bytes present, the Header must start with
 * DECAFFED, AIDs must be 5..16 bytes, the Directory must agree with the components present, and
 * the Header flags with the Applet and Export components. Throws CapError and nothing else.
 */
export function readCap(zipBytes: Uint8Array): CapFile {
  const { entries, packagePath } = readCapEntries(zipBytes);
  for (const name of REQUIRED) {
    if (!entries.has(name)) throw new CapError('MISSING_COMPONENT', `the CAP has no ${name} component (expected <package path>/javacard/${name}.cap)`, { component: name });
  }
  const components = new Map<string, Uint8Array>();
  for (const name of COMPONENT_NAMES) {
    const entry = entries.get(name);
    if (!entry) continue;
    checkComponentFrame(name, entry.bytes);
    components.set(name, entry.bytes);
  }
  const header = parseHeaderComponent(components.get('Header')!);
  checkFlag(header.flags, HEADER_FLAG.ACC_APPLET, 'Applet', components);
  checkFlag(header.flags, HEADER_FLAG.ACC_EXPORT, 'Export', components);
  const applets = components.has('Applet') ? parseAppletComponent(components.get('Applet')!) : [];
  const imports = parseImportComponent(components.get('Import')!);

  const directory = parseDirectoryComponent(components.get('Directory')!, header.capVersion.minor);
  for (const [name, declared] of directory.componentSizes) {
    const bytes = components.get(name);
    if (bytes && readU16(bytes, 1) !== declared) {
      throw new CapError('BAD_COMPONENT', `Directory says ${name} has ${declared} bytes, ${name}.cap has ${readU16(bytes, 1)}`, { component: 'Directory' });
    }
  }
  if (directory.importCount !== imports.length) throw new CapError('BAD_COMPONENT', `Directory says ${directory.importCount} imports, Import has ${imports.length}`, { component: 'Directory' });
  if (directory.appletCount !== applets.length) throw new CapError('BAD_COMPONENT', `Directory says ${directory.appletCount} applets, the CAP has ${applets.length}`, { component: 'Directory' });

  const packageName = header.packageName ?? (packagePath ? packagePath.split('/').join('.') : undefined);
  return {
    packageAid: header.packageAid,
    packageVersion: header.packageVersion,
    capVersion: header.capVersion,
    ...(packageName === undefined ? {} : { packageName }),
    applets,
    imports,
    components,
  };
}

function checkFlag(flags: number, flag: number, name: ComponentName, components: Map<string, Uint8Array>): void {
  const announced = (flags & flag) !== 0;
  const flagsHex = flags.toString(16).padStart(2, '0').toUpperCase();
  if (announced && !components.has(name)) throw new CapError('MISSING_COMPONENT', `Header flags (${flagsHex}) announce the ${name} component, the CAP has none`, { component: name });
  if (!announced && components.has(name)) throw new CapError('BAD_COMPONENT', `${name}.cap is present but the Header flags (${flagsHex}) do not announce it`, { component: name });
}
