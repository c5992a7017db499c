import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../protocol/bytes.ts';
import { readCap, loadFileDataBlock, loadFileDataBlockHash } from '../../protocol/cap/index.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cardlab.js');
const cardlab = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('cardlab cap build', () => {
  it('writes a CAP that readCap reads back and prints the package AID, LFDB size and SHA-256 on one line', () => {
    const file = join(tempDir('cardlab-cap-'), 'app.cap');
    const run = cardlab(['cap', 'build', '--package-aid', 'A0000001515350', '--applet-aid', 'A000000151535041', '--applet-aid', 'a0 00 00 01 51 53 50 42', '--version', '2.1', '--code-size', '2048', '-o', file]);
    expect(run.status, run.stderr).toBe(0);
    const cap = readCap(readFileSync(file));
    expect(toHex(cap.packageAid)).toBe('A0000001515350');
    expect(cap.packageVersion).toEqual({ major: 2, minor: 1 });
    expect(cap.applets.map((a) => toHex(a.aid))).toEqual(['A000000151535041', 'A000000151535042']);
    const lfdb = loadFileDataBlock(cap);
    expect(run.stdout).toBe(`wrote ${file}: package A0000001515350 v2.1, LFDB ${lfdb.length} bytes (no Descriptor), SHA-256 ${toHex(loadFileDataBlockHash(lfdb))}\n`);
  });

  it('refuses bad values with a message naming the option and writes nothing', () => {
    const file = join(tempDir('cardlab-cap-'), 'bad.cap');
    const base = ['cap', 'build', '--package-aid', 'A0000001515350', '--applet-aid', 'A000000151535041', '--code-size', '10', '-o', file];
    const cases: Array<[string, string, RegExp]> = [
      ['--package-aid', 'A0000001', /option '--package-aid <hex>' argument 'A0000001' is invalid\. an AID has 5\.\.16 bytes, this has 4/],
      ['--package-aid', 'XYZ', /option '--package-aid <hex>' argument 'XYZ' is invalid\. not hex/],
      ['--applet-aid', 'A0', /option '--applet-aid <hex>' argument 'A0' is invalid/],
      ['--code-size', '70000', /option '--code-size <bytes>' argument '70000' is invalid/],
      ['--code-size', '-5', /option '--code-size <bytes>' argument '-5' is invalid/],
    ];
    for (const [option, value, message] of cases) {
      const args = [...base];
      args[args.indexOf(option) + 1] = value;
      const run = cardlab(args);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(message);
    }
    const version = cardlab([...base, '--version', '1']);
    expect(version.stderr).toMatch(/option '--version <major\.minor>' argument '1' is invalid/);
    const noApplet = cardlab(['cap', 'build', '--package-aid', 'A0000001515350', '--code-size', '10', '-o', file]);
    expect(noApplet.stderr).toMatch(/required option '--applet-aid <hex>' not specified/);
    expect(() => readFileSync(file)).toThrow();
  });
});
