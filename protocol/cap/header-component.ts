import { concat, toHex } from '../bytes.ts';
import { CapError } from './cap-error.ts';
import { ComponentCursor } from './component-cursor.ts';
import { buildComponent } from './components.ts';

/** Header flags (JCVM §6.3, Table 6-3). */
export const HEADER_FLAG = { ACC_INT: 0x01, ACC_EXPORT: 0x02, ACC_APPLET: 0x04 } as const;

export interface HeaderComponent {
  capVersion: { major: number; minor: number };
  flags: number;
  packageVersion: { major: number; minor: number };
  packageAid: Uint8Array;
  /** Only CAP 2.2+ headers carry the package name. */
  packageName?: string;
}

const MAGIC = 0xdecaffed;

/**
 * Parses the Header component (JCVM §6.3):
 * ```
 * header_component { u1 tag; u2 size; u4 magic (DECAFFED); u1 minor_version; u1 major_version; u1 flags;
 *   package_info { u1 minor_version; u1 major_version; u1 AID_length; u1 AID[] };
 *   package_name_info { u1 name_length; u1 name[] }   // CAP 2.2 and later only
 * }
 * ```
 * Only CAP format 2.x is accepted; the extended 3.x format has another layout.
 */
export function parseHeaderComponent(bytes: Uint8Array): HeaderComponent {
  const c = new ComponentCursor('Header', bytes);
  const magicAt = c.offset;
  const magic = c.take(4, 'magic');
  if (((magic[0]! << 24) | (magic[1]! << 16) | (magic[2]! << 8) | magic[3]!) >>> 0 !== MAGIC) {
    throw new CapError('BAD_MAGIC', `magic is ${toHex(magic)}, not DECAFFED`, { component: 'Header', offset: magicAt });
  }
  const capMinor = c.u1('CAP minor version');
  const versionAt = c.offset;
  const capMajor = c.u1('CAP major version');
  if (capMajor !== 2) throw new CapError('BAD_COMPONENT', `CAP format ${capMajor}.${capMinor} is not supported (2.x only)`, { component: 'Header', offset: versionAt });
  const flags = c.u1('flags');
  const minor = c.u1('package minor version');
  const major = c.u1('package major version');
  const packageAid = c.aid('package AID');
  const header: HeaderComponent = { capVersion: { major: capMajor, minor: capMinor }, flags, packageVersion: { major, minor }, packageAid };
  if (capMinor >= 2 && c.remaining > 0) {
    const length = c.u1('package name length');
    header.packageName = new TextDecoder().decode(c.take(length, 'package name'));
  }
  c.end();
  return header;
}

/** Builds a CAP 2.1 Header component (no package name: 2.1 has no room for it). */
export function buildHeaderComponent(h: { flags: number; packageVersion: { major: number; minor: number }; packageAid: Uint8Array }): Uint8Array {
  return buildComponent(
    'Header',
    concat(
      new Uint8Array([0xde, 0xca, 0xff, 0xed, 1, 2, h.flags, h.packageVersion.minor, h.packageVersion.major, h.packageAid.length]),
      h.packageAid,
    ),
  );
}
