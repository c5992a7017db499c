import { readU16 } from '../bytes.ts';
import { CapError } from './cap-error.ts';
import { componentName, type ComponentName } from './components.ts';
import { parseHeaderComponent } from './header-component.ts';
import { parseAppletComponent, type CapApplet } from './applet-component.ts';
import { parseImportComponent, type CapImport } from './import-component.ts';

/** What a card reads from a Load File Data Block it was sent (reference §12.2). */
export interface LoadFileInfo {
  packageAid: Uint8Array;
  packageVersion: { major: number; minor: number };
  /** Applet class AIDs: the Executable Modules of INSTALL [for install]. */
  applets: CapApplet[];
  imports: CapImport[];
}

/**
 * Reads a Load File Data Block as a card receives it — the components concatenated, in any order —
 * with the same strict component parsers as `readCap`: a component running past the end, an unknown
 * or repeated tag, a missing Header or a malformed Header/Applet/Import is a CapError naming the
 * component and the offset in the LFDB.
 */
export function readLoadFileDataBlock(lfdb: Uint8Array): LoadFileInfo {
  const components = new Map<ComponentName, Uint8Array>();
  for (let off = 0; off < lfdb.length; ) {
    if (off + 3 > lfdb.length) throw new CapError('TRUNCATED', `component header truncated at offset ${off} of the LFDB`, { offset: off });
    const name = componentName(lfdb[off]!);
    if (!name) throw new CapError('BAD_COMPONENT', `unknown component tag ${lfdb[off]} at offset ${off} of the LFDB`, { offset: off });
    const end = off + 3 + readU16(lfdb, off + 1);
    if (end > lfdb.length) throw new CapError('TRUNCATED', `component length runs past the LFDB (offset ${off})`, { component: name, offset: off });
    if (components.has(name)) throw new CapError('DUPLICATE_COMPONENT', `${name} appears twice (offset ${off})`, { component: name, offset: off });
    components.set(name, lfdb.subarray(off, end));
    off = end;
  }
  const header = components.get('Header');
  if (!header) throw new CapError('MISSING_COMPONENT', 'the LFDB has no Header component', { component: 'Header' });
  const h = parseHeaderComponent(header);
  const applet = components.get('Applet');
  const imports = components.get('Import');
  return {
    packageAid: h.packageAid,
    packageVersion: h.packageVersion,
    applets: applet ? parseAppletComponent(applet) : [],
    imports: imports ? parseImportComponent(imports) : [],
  };
}
