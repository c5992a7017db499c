import { concat, u16 } from '../bytes.ts';
import { CapError } from './cap-error.ts';
import { ComponentCursor } from './component-cursor.ts';
import { buildComponent, COMPONENT_NAMES, type ComponentName } from './components.ts';

export interface DirectoryComponent {
  /** Declared `size` of each component by name (CAP 2.1 lists tags 1..11, CAP 2.2+ also Debug). */
  componentSizes: Map<ComponentName, number>;
  staticFieldSizeInfo: { imageSize: number; arrayInitCount: number; arrayInitSize: number };
  importCount: number;
  appletCount: number;
  customComponents: Array<{ tag: number; size: number; aid: Uint8Array }>;
}

/**
 * Parses the Directory component (JCVM §6.4):
 * ```
 * directory_component { u1 tag; u2 size; u2 component_sizes[11 in CAP 2.1, 12 in 2.2+];
 *   static_field_size_info { u2 image_size; u2 array_init_count; u2 array_init_size };
 *   u1 import_count; u1 applet_count; u1 custom_count;
 *   custom_component_info { u1 component_tag; u2 size; u1 AID_length; u1 AID[] }[custom_count] }
 * ```
 */
export function parseDirectoryComponent(bytes: Uint8Array, capMinor: number): DirectoryComponent {
  const c = new ComponentCursor('Directory', bytes);
  const componentSizes = new Map<ComponentName, number>();
  for (const name of COMPONENT_NAMES.slice(0, capMinor >= 2 ? 12 : 11)) componentSizes.set(name, c.u2(`${name} size`));
  const staticFieldSizeInfo = { imageSize: c.u2('image_size'), arrayInitCount: c.u2('array_init_count'), arrayInitSize: c.u2('array_init_size') };
  const importCount = c.u1('import_count');
  const appletCount = c.u1('applet_count');
  const customCount = c.u1('custom_count');
  const customComponents: DirectoryComponent['customComponents'] = [];
  for (let i = 0; i < customCount; i++) {
    const tagAt = c.offset;
    const tag = c.u1(`custom component ${i} tag`);
    if (tag < 128) throw new CapError('BAD_COMPONENT', `custom component tag ${tag} is below 128`, { component: 'Directory', offset: tagAt });
    customComponents.push({ tag, size: c.u2(`custom component ${i} size`), aid: c.aid(`custom component ${i} AID`) });
  }
  c.end();
  return { componentSizes, staticFieldSizeInfo, importCount, appletCount, customComponents };
}

/** Builds a CAP 2.1 Directory component (11 component sizes, no custom components). */
export function buildDirectoryComponent(d: Omit<DirectoryComponent, 'customComponents'>): Uint8Array {
  const sizes = COMPONENT_NAMES.slice(0, 11).map((name) => u16(d.componentSizes.get(name) ?? 0));
  const s = d.staticFieldSizeInfo;
  return buildComponent(
    'Directory',
    concat(...sizes, u16(s.imageSize), u16(s.arrayInitCount), u16(s.arrayInitSize), new Uint8Array([d.importCount, d.appletCount, 0])),
  );
}

/** Size of the CAP 2.1 Directory payload built above: 11 sizes, static field info, three counts. */
export const DIRECTORY_21_SIZE = 11 * 2 + 6 + 3;
