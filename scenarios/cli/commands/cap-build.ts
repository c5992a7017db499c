import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { MAX_CODE_SIZE } from '../../../protocol/cap/limits.ts';

/** `cardlab cap build --package-aid HEX --applet-aid HEX… [--version 1.0] --code-size N -o app.cap`: writes a generated applet CAP. */
export function registerCapBuild(cap: Command): void {
  cap
    .command('build')
    .description('write a structurally valid CAP file of a chosen size for load tests')
    .requiredOption('--package-aid <hex>', 'package AID (5..16 bytes)', parseAid)
    .requiredOption('--applet-aid <hex>', 'applet AID (5..16 bytes); repeat for more applets', collectAid)
    .option('--version <major.minor>', 'package version (default 1.0)', parseVersion)
    .requiredOption('--code-size <bytes>', `bytes of the Method component (0..${MAX_CODE_SIZE}); the LFDB is about this big`, parseCodeSize)
    .option('--package-name <name>', 'Java package name (default cardlab.p<package AID>)')
    .requiredOption('-o, --output <file>', 'CAP file to write')
    .action(async (opts: { packageAid: Uint8Array; appletAid: Uint8Array[]; version?: { major: number; minor: number }; codeSize: number; packageName?: string; output: string }) => {
      const { buildCap, readCap, loadFileDataBlock, loadFileDataBlockHash } = await import('../../../protocol/cap/index.ts');
      const version = opts.version ?? { major: 1, minor: 0 };
      const bytes = buildCap({
        packageAid: opts.packageAid,
        appletAids: opts.appletAid,
        packageVersion: version,
        codeSize: opts.codeSize,
        ...(opts.packageName === undefined ? {} : { packageName: opts.packageName }),
      });
      writeFileSync(opts.output, bytes);
      const lfdb = loadFileDataBlock(readCap(bytes));
      process.stdout.write(
        `wrote ${opts.output}: package ${toHex(opts.packageAid)} v${version.major}.${version.minor}, LFDB ${lfdb.length} bytes (no Descriptor), SHA-256 ${toHex(loadFileDataBlockHash(lfdb))}\n`,
      );
    });
}

function parseAid(value: string): Uint8Array {
  let aid: Uint8Array;
  try {
    aid = fromHex(value);
  } catch {
    throw new InvalidArgumentError('not hex.');
  }
  if (aid.length < 5 || aid.length > 16) throw new InvalidArgumentError(`an AID has 5..16 bytes, this has ${aid.length}.`);
  return aid;
}

function collectAid(value: string, previous: Uint8Array[] = []): Uint8Array[] {
  const aid = parseAid(value);
  if (previous.some((p) => toHex(p) === toHex(aid))) throw new InvalidArgumentError('this applet AID is already given.');
  return [...previous, aid];
}

function parseVersion(value: string): { major: number; minor: number } {
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) throw new InvalidArgumentError('expected major.minor, each 0..255.');
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function parseCodeSize(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_CODE_SIZE) throw new InvalidArgumentError(`expected a whole number of bytes, 0..${MAX_CODE_SIZE}.`);
  return Number(value);
}
