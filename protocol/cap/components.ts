import { readU16, u16, concat } from '../bytes.ts';
import { CapError } from './cap-error.ts';

/**
 * CAP components (JCVM 2.2.2 §6.1, Table 6-1): each is `tag(1) | size(2, big-endian) | info[size]`,
 * stored in the CAP ZIP as `<package path>/javacard/<Name>.cap`.
 */
export const COMPONENT_TAG = {
  Header: 1,
  Directory: 2,
  Applet: 3,
  Import: 4,
  ConstantPool: 5,
  Class: 6,
  Method: 7,
  StaticField: 8,
  RefLocation: 9,
  Export: 10,
  Descriptor: 11,
  Debug: 12,
} as const;

export type ComponentName = keyof typeof COMPONENT_TAG;

/** Component names in tag order (1 Header … 12 Debug). */
export const COMPONENT_NAMES = Object.keys(COMPONENT_TAG) as ComponentName[];

/** Name of a component tag, or undefined for a custom/unknown tag. */
export function componentName(tag: number): ComponentName | undefined {
  return COMPONENT_NAMES[tag - 1];
}

export function isComponentName(name: string): name is ComponentName {
  return Object.hasOwn(COMPONENT_TAG, name);
}

/**
 * Order of components in the Load File Data Block (GPCS C.2 / JCVM 6.2; GPP capfile and KAOH
 * loadfile.c agree). Descriptor is last and optional: GlobalPlatformPro leaves it out, GPShell
 * keeps it. Debug is never loaded.
 */
export const LFDB_ORDER: readonly ComponentName[] = [
  'Header',
  'Directory',
  'Import',
  'Applet',
  'Class',
  'Method',
  'StaticField',
  'Export',
  'ConstantPool',
  'RefLocation',
  'Descriptor',
];

/** Frames a component payload: `tag | size | info` (JCVM §6.1). */
export function buildComponent(name: ComponentName, info: Uint8Array): Uint8Array {
  if (info.length > 0xffff) throw new CapError('BAD_ARGUMENT', `component payload of ${info.length} bytes exceeds 65535`, { component: name });
  return concat(new Uint8Array([COMPONENT_TAG[name]]), u16(info.length), info);
}

/**
 * Checks a component's frame: the tag matches its entry name and the 2-byte size equals the bytes
 * present after it — no fewer (TRUNCATED), no more (BAD_COMPONENT).
 */
export function checkComponentFrame(name: ComponentName, bytes: Uint8Array): void {
  if (bytes.length < 3) throw new CapError('TRUNCATED', `component has ${bytes.length} bytes, fewer than its 3-byte tag and size`, { component: name, offset: 0 });
  const tag = bytes[0]!;
  if (tag !== COMPONENT_TAG[name]) {
    throw new CapError('BAD_COMPONENT', `tag ${tag} (${componentName(tag) ?? 'unknown'}) where ${name} (${COMPONENT_TAG[name]}) belongs`, { component: name, offset: 0 });
  }
  const size = readU16(bytes, 1);
  const present = bytes.length - 3;
  if (size > present) throw new CapError('TRUNCATED', `component length says ${size} bytes, ${present} present`, { component: name, offset: 3 });
  if (size < present) throw new CapError('BAD_COMPONENT', `component length says ${size} bytes, ${present} present`, { component: name, offset: 3 });
}
