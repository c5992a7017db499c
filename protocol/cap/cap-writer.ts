import { toHex } from '../bytes.ts';
import { MAX_CODE_SIZE } from './limits.ts';
import { CapError } from './cap-error.ts';
import { writeCapZip } from './cap-zip.ts';
import { componentName, type ComponentName } from './components.ts';
import { buildHeaderComponent, HEADER_FLAG } from './header-component.ts';
import { buildDirectoryComponent, DIRECTORY_21_SIZE } from './directory-component.ts';
import { buildAppletComponent } from './applet-component.ts';
import { buildImportComponent, type CapImport } from './import-component.ts';
import { buildAppletPackageCode, minimumCodeSize } from './applet-package-code.ts';

export interface CapBuildOptions {
  packageAid: Uint8Array;
  /** Default 1.0. */
  packageVersion?: { major: number; minor: number };
  /** One or more applets (Executable Module AIDs). */
  appletAids: Uint8Array[];
  /**
   * Bytes of the Method component's info, so the LFDB is about that big (plus ~150 bytes and ~70 per
   * applet). Values below the applets' own methods (1 + 25 per applet) give that minimum instead.
   */
  codeSize: number;
  /** Java package name, e.g. `com.example.wallet`; it names the archive folder. Default `cardlab.p<package AID hex>`. */
  packageName?: string;
  /** Version of javacard.framework (A0000000620101) to import; default 1.3 (Java Card 2.2.2). */
  importFramework?: { major: number; minor: number };
  /**
   * Packages imported besides javacard.framework (a library this package links against): listed in the
   * Import component after the framework, so a card refuses the load without them (GPCS 11.6.2.3, 6438)
   * and refuses to delete them while this package is loaded (GPCS 11.2.2.3, 6985). Default none.
   */
  imports?: CapImport[];
}

export const JAVACARD_FRAMEWORK_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x62, 0x01, 0x01);
export { MAX_CODE_SIZE };

/**
 * Builds a structurally valid CAP 2.1 file (JCVM §6) for an applet package: Header (flags: applets),
 * Directory (sizes of the components beside it), Applet, Import (javacard.framework and `imports`), ConstantPool,
 * Class, Method (`codeSize` bytes of bytecode, mostly `nop` filler), StaticField, RefLocation and
 * Descriptor, stored as `<package path>/javacard/<Name>.cap`. The archive has fixed timestamps, so
 * equal options give equal bytes. Throws CapError BAD_ARGUMENT naming the option at fault.
 */
export function buildCap(options: CapBuildOptions): Uint8Array {
  const o = checkOptions(options);
  const code = buildAppletPackageCode(o.appletAids.length, o.codeSize);
  const applet = buildAppletComponent(o.appletAids.map((aid, i) => ({ aid, installMethodOffset: code.installMethodOffsets[i]! })));
  const importComponent = buildImportComponent([{ aid: JAVACARD_FRAMEWORK_AID, ...o.importFramework }, ...o.imports]);
  const header = buildHeaderComponent({ flags: HEADER_FLAG.ACC_APPLET, packageVersion: o.packageVersion, packageAid: o.packageAid });
  const others = [header, applet, importComponent, code.constantPool, code.class, code.method, code.staticField, code.refLocation, code.descriptor];
  const componentSizes = new Map<ComponentName, number>([['Directory', DIRECTORY_21_SIZE]]);
  for (const c of others) componentSizes.set(componentName(c[0]!)!, c.length - 3);
  const directory = buildDirectoryComponent({
    componentSizes,
    staticFieldSizeInfo: { imageSize: 0, arrayInitCount: 0, arrayInitSize: 0 },
    importCount: 1 + o.imports.length,
    appletCount: o.appletAids.length,
  });

  const folder = `${o.packageName.split('.').join('/')}/javacard`;
  const manifest = `Manifest-Version: 1.0\r\nCreated-By: cardlab buildCap\r\nJava-Card-Package-Name: ${o.packageName}\r\nJava-Card-Package-AID: ${toHex(o.packageAid)}\r\n\r\n`;
  const inArchiveOrder: Array<[string, Uint8Array]> = [
    ['Header', header],
    ['Directory', directory],
    ['Import', importComponent],
    ['Applet', applet],
    ['Class', code.class],
    ['Method', code.method],
    ['StaticField', code.staticField],
    ['ConstantPool', code.constantPool],
    ['RefLocation', code.refLocation],
    ['Descriptor', code.descriptor],
  ];
  return writeCapZip([
    { path: 'META-INF/MANIFEST.MF', bytes: new TextEncoder().encode(manifest) },
    ...inArchiveOrder.map(([name, bytes]) => ({ path: `${folder}/${name}.cap`, bytes })),
  ]);
}

const JAVA_PACKAGE = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;

function checkOptions(o: CapBuildOptions): Required<CapBuildOptions> {
  checkAid('packageAid', o.packageAid);
  if (!Array.isArray(o.appletAids) || o.appletAids.length === 0 || o.appletAids.length > 255) {
    throw new CapError('BAD_ARGUMENT', `appletAids: ${Array.isArray(o.appletAids) ? o.appletAids.length : 'no'} applets given, 1..255 allowed`);
  }
  const seen = new Set<string>([toHex(o.packageAid)]);
  o.appletAids.forEach((aid, i) => {
    checkAid(`appletAids[${i}]`, aid);
    if (seen.has(toHex(aid))) throw new CapError('BAD_ARGUMENT', `appletAids[${i}]: ${toHex(aid)} repeats the package AID or another applet AID`);
    seen.add(toHex(aid));
  });
  if (!Number.isInteger(o.codeSize) || o.codeSize < 0 || o.codeSize > MAX_CODE_SIZE) {
    throw new CapError('BAD_ARGUMENT', `codeSize ${o.codeSize} is not an integer in 0..${MAX_CODE_SIZE} (the Method component's size field is 2 bytes)`);
  }
  const packageVersion = o.packageVersion ?? { major: 1, minor: 0 };
  checkVersion('packageVersion', packageVersion);
  const importFramework = o.importFramework ?? { major: 1, minor: 3 };
  checkVersion('importFramework', importFramework);
  const imports = o.imports ?? [];
  imports.forEach((p, i) => {
    checkAid(`imports[${i}].aid`, p.aid);
    checkVersion(`imports[${i}]`, p);
    if (toHex(p.aid) === toHex(o.packageAid) || toHex(p.aid) === toHex(JAVACARD_FRAMEWORK_AID)) throw new CapError('BAD_ARGUMENT', `imports[${i}]: ${toHex(p.aid)} is the package itself or javacard.framework (imported already)`);
  });
  // The Import component's count is one byte (JCVM §6.6), the framework included.
  if (imports.length > 254) throw new CapError('BAD_ARGUMENT', `imports: ${imports.length} packages given, at most 254 besides javacard.framework`);
  const packageName = o.packageName ?? `cardlab.p${toHex(o.packageAid).toLowerCase()}`;
  if (!JAVA_PACKAGE.test(packageName)) throw new CapError('BAD_ARGUMENT', `packageName '${packageName}' is not a Java package name (identifiers separated by dots)`);
  return { packageAid: o.packageAid, appletAids: o.appletAids, codeSize: Math.max(o.codeSize, minimumCodeSize(o.appletAids.length)), packageVersion, importFramework, imports, packageName };
}

function checkAid(option: string, aid: Uint8Array): void {
  if (!(aid instanceof Uint8Array)) throw new CapError('BAD_ARGUMENT', `${option} is not a byte array`);
  if (aid.length < 5 || aid.length > 16) throw new CapError('BAD_ARGUMENT', `${option}: AID ${toHex(aid)} has ${aid.length} bytes, 5..16 allowed`);
}

function checkVersion(option: string, v: { major: number; minor: number }): void {
  for (const part of ['major', 'minor'] as const) {
    if (!Number.isInteger(v[part]) || v[part] < 0 || v[part] > 255) throw new CapError('BAD_ARGUMENT', `${option}.${part} ${v[part]} is not an integer in 0..255`);
  }
}
