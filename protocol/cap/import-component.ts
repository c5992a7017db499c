import { concat } from '../bytes.ts';
import { ComponentCursor } from './component-cursor.ts';
import { buildComponent } from './components.ts';

/** An imported package: a card without it (at this major version, minor at least this) refuses the load (6438). */
export interface CapImport {
  aid: Uint8Array;
  major: number;
  minor: number;
}

/**
 * Parses the Import component (JCVM §6.6):
 * `import_component { u1 tag; u2 size; u1 count; package_info { u1 minor_version; u1 major_version; u1 AID_length; u1 AID[] }[count] }`.
 */
export function parseImportComponent(bytes: Uint8Array): CapImport[] {
  const c = new ComponentCursor('Import', bytes);
  const count = c.u1('import count');
  const imports: CapImport[] = [];
  for (let i = 0; i < count; i++) {
    const minor = c.u1(`import ${i} minor version`);
    const major = c.u1(`import ${i} major version`);
    imports.push({ aid: c.aid(`import ${i} AID`), major, minor });
  }
  c.end();
  return imports;
}

export function buildImportComponent(imports: readonly CapImport[]): Uint8Array {
  const entries = imports.map((p) => concat(new Uint8Array([p.minor, p.major, p.aid.length]), p.aid));
  return buildComponent('Import', concat(new Uint8Array([imports.length]), ...entries));
}
