import { concat, readU16 } from '../../protocol/bytes.ts';
import { buildCap, buildImportComponent, buildLoadFile, COMPONENT_TAG, JAVACARD_FRAMEWORK_AID, loadFileDataBlock, readCap } from '../../protocol/cap/index.ts';
import { buildLoadCommands } from '../../protocol/gp/commands/index.ts';
import { ECHO_APPLET_AID, ECHO_PACKAGE_AID, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID } from '../../simulator/index.ts';
import type { LoadFileName } from './conform-model.ts';

/** One Load File the suite loads: its package and applet AIDs and its LOAD commands (plain, channel 0). */
export interface LoadFileMaterial {
  name: LoadFileName;
  packageAid: Uint8Array;
  appletAid: Uint8Array;
  blocks: Uint8Array[];
}

export interface LoadMaterial {
  /** The loyalty package (the card has its applet model), loaded in three or more blocks: LOAD 00, 01, … 80 nn. */
  lib: LoadFileMaterial;
  /** The echo package importing the loyalty package 1.0, loaded in one block (LOAD 80 00). */
  app: LoadFileMaterial;
}

/** The LFDB of a bundled applet package, its Import component naming javacard.framework and `imports` (each 1.0). */
function lfdbOf(packageAid: Uint8Array, appletAid: Uint8Array, codeSize: number, imports: Uint8Array[]): Uint8Array {
  const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid, appletAids: [appletAid], codeSize })));
  if (imports.length === 0) return lfdb;
  const parts: Uint8Array[] = [];
  for (let off = 0; off < lfdb.length; ) {
    const end = off + 3 + readU16(lfdb, off + 1);
    const component = lfdb.subarray(off, end);
    const all = [{ aid: JAVACARD_FRAMEWORK_AID, major: 1, minor: 3 }, ...imports.map((aid) => ({ aid, major: 1, minor: 0 }))];
    parts.push(component[0] === COMPONENT_TAG.Import ? buildImportComponent(all) : component);
    off = end;
  }
  return concat(...parts);
}

/** LOAD block size for the library: small enough that it takes three blocks or more. */
const LIB_BLOCK = 200;
/** The largest LOAD block under C-MAC only (255 − 8), so the importing package fits one block. */
const APP_BLOCK = 247;

/**
 * The Load Files of the suite (CAP files built by `buildCap`, deterministic): a library the card's loyalty
 * applet model runs, and a package importing it — so DELETE of the library must be refused while the
 * importing one is on the card (GPCS 11.2.2.3).
 */
export function createLoadMaterial(): LoadMaterial {
  const lib = buildLoadCommands(buildLoadFile(lfdbOf(LOYALTY_PACKAGE_AID, LOYALTY_APPLET_AID, 400, [])), LIB_BLOCK);
  const app = buildLoadCommands(buildLoadFile(lfdbOf(ECHO_PACKAGE_AID, ECHO_APPLET_AID, 0, [LOYALTY_PACKAGE_AID])), APP_BLOCK);
  return {
    lib: { name: 'lib', packageAid: LOYALTY_PACKAGE_AID, appletAid: LOYALTY_APPLET_AID, blocks: lib },
    app: { name: 'app', packageAid: ECHO_PACKAGE_AID, appletAid: ECHO_APPLET_AID, blocks: app },
  };
}
