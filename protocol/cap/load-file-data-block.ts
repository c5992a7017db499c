import { concat } from '../bytes.ts';
import { sha1, sha256 } from '../crypto/index.ts';
import { CapError } from './cap-error.ts';
import { LFDB_ORDER } from './components.ts';
import type { CapFile } from './cap-file.ts';

/**
 * The Load File Data Block of a Java Card package (GPCS 11.6.2.3, C.2): the CAP components
 * concatenated in the order Header, Directory, Import, Applet, Class, Method, StaticField, Export,
 * ConstantPool, RefLocation[, Descriptor], absent ones skipped, Debug never. Descriptor is left out
 * unless asked for, as GlobalPlatformPro does; GPShell includes it. A card must hash what it was
 * sent, so either choice loads.
 */
export function loadFileDataBlock(cap: CapFile, options: { includeDescriptor?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const name of LFDB_ORDER) {
    if (name === 'Descriptor' && !options.includeDescriptor) continue;
    const bytes = cap.components.get(name);
    if (bytes) parts.push(bytes);
  }
  return concat(...parts);
}

/**
 * The Load File Data Block Hash (GPCS C.2): the digest of the LFDB bytes only — the value of `C4`,
 * without its tag and length and without DAP blocks. It goes in INSTALL [for load] and is what a DAP
 * signs. SHA-256 by default (needed for AES and P-256 DAP keys); SHA-1 for 3DES/RSA-1024 cards.
 */
export function loadFileDataBlockHash(lfdb: Uint8Array, algorithm: 'SHA-256' | 'SHA-1' = 'SHA-256'): Uint8Array {
  if (algorithm === 'SHA-256') return sha256(lfdb);
  if (algorithm === 'SHA-1') return sha1(lfdb);
  throw new CapError('BAD_ARGUMENT', `hash algorithm '${String(algorithm)}' is not SHA-256 or SHA-1`);
}
