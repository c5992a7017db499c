import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { fromHex, readU16, toHex } from '../bytes.ts';
import { buildCap, readCap, loadFileDataBlock, minimumCodeSize, parseDirectoryComponent, CapError, type CapBuildOptions } from './index.ts';

const BASE: CapBuildOptions = { packageAid: fromHex('A00000015100AA'), appletAids: [fromHex('A00000015100AA01')], codeSize: 1000 };

/** Info bytes (after tag and size) of a component. */
const info = (bytes: Uint8Array) => bytes.subarray(3);

/** The method_descriptor_info entries of a generated Descriptor (JCVM §6.13): offset and bytecode_count per method. */
function descriptorMethods(descriptor: Uint8Array): Array<{ offset: number; bytecodes: number }> {
  const d = info(descriptor);
  const out: Array<{ offset: number; bytecodes: number }> = [];
  let at = 1;
  for (let c = 0; c < d[0]!; c++) {
    const fields = readU16(d, at + 5);
    const methods = readU16(d, at + 7);
    at += 9 + 2 * d[at + 4]! + 7 * fields;
    for (let m = 0; m < methods; m++, at += 12) out.push({ offset: readU16(d, at + 2), bytecodes: readU16(d, at + 6) });
  }
  return out;
}

const aid = (min = 5) => fc.uint8Array({ minLength: min, maxLength: 16 });

describe('buildCap', () => {
  it('round-trips through readCap: package AID, version, applets, framework import, name (property)', () => {
    fc.assert(
      fc.property(
        aid(),
        fc.uniqueArray(aid(), { minLength: 1, maxLength: 4, selector: (a) => toHex(a) }),
        fc.record({ major: fc.integer({ min: 0, max: 255 }), minor: fc.integer({ min: 0, max: 255 }) }),
        fc.integer({ min: 0, max: 16384 }),
        (packageAid, appletAids, packageVersion, codeSize) => {
          fc.pre(!appletAids.some((a) => toHex(a) === toHex(packageAid)));
          const cap = readCap(buildCap({ packageAid, appletAids, packageVersion, codeSize, packageName: 'com.example.app' }));
          expect(toHex(cap.packageAid)).toBe(toHex(packageAid));
          expect(cap.packageVersion).toEqual(packageVersion);
          expect(cap.capVersion).toEqual({ major: 2, minor: 1 });
          expect(cap.packageName).toBe('com.example.app');
          expect(cap.applets.map((a) => toHex(a.aid))).toEqual(appletAids.map((a) => toHex(a)));
          expect(cap.imports.map((p) => `${toHex(p.aid)} ${p.major}.${p.minor}`)).toEqual(['A0000000620101 1.3']);
          const method = info(cap.components.get('Method')!);
          expect(method.length).toBe(Math.max(codeSize, minimumCodeSize(appletAids.length)));
          // Each install() starts with its method header (max_stack 2, 3 arguments) and `new`.
          for (const a of cap.applets) expect(toHex(method.subarray(a.installMethodOffset, a.installMethodOffset + 3))).toBe('02308F');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes a Directory whose component sizes, import and applet counts match the components beside it', () => {
    const cap = readCap(buildCap({ ...BASE, appletAids: [fromHex('A00000015100AA01'), fromHex('A00000015100AA02')] }));
    const directory = parseDirectoryComponent(cap.components.get('Directory')!, 1);
    for (const [name, size] of directory.componentSizes) expect([name, size]).toEqual([name, cap.components.has(name) ? readU16(cap.components.get(name)!, 1) : 0]);
    expect([directory.importCount, directory.appletCount, directory.customComponents.length]).toEqual([1, 2, 0]);
    expect([...cap.components.keys()]).toEqual(['Header', 'Directory', 'Applet', 'Import', 'ConstantPool', 'Class', 'Method', 'StaticField', 'RefLocation', 'Descriptor']);
  });

  it('writes a Descriptor whose methods tile the Method component and a RefLocation that points at constant pool indices', () => {
    const cap = readCap(buildCap({ ...BASE, appletAids: [fromHex('A00000015100AA01'), fromHex('A00000015100AA02'), fromHex('A00000015100AA03')], codeSize: 700 }));
    const method = info(cap.components.get('Method')!);
    const methods = descriptorMethods(cap.components.get('Descriptor')!);
    expect(methods).toHaveLength(9);
    let next = 1; // after handler_count
    for (const m of methods) {
      expect(m.offset).toBe(next);
      next += 2 + m.bytecodes; // method header + bytecodes
    }
    expect(next).toBe(method.length);
    expect(methods.filter((_, i) => i % 3 === 1).map((m) => m.offset)).toEqual(cap.applets.map((a) => a.installMethodOffset));

    const ref = info(cap.components.get('RefLocation')!);
    const cpCount = readU16(info(cap.components.get('ConstantPool')!), 0);
    expect(readU16(ref, 0)).toBe(0);
    let offset = 0;
    for (const delta of ref.subarray(4, 4 + readU16(ref, 2))) {
      offset += delta;
      expect([0x8b, 0x8c, 0x8f]).toContain(method[offset - 1]); // invokevirtual, invokespecial, new
      expect(readU16(method, offset)).toBeLessThan(cpCount);
    }
  });

  it('gives the same bytes for the same options and an LFDB about codeSize big', () => {
    expect(toHex(buildCap(BASE))).toBe(toHex(buildCap({ ...BASE })));
    expect(toHex(buildCap(BASE))).not.toBe(toHex(buildCap({ ...BASE, codeSize: 1001 })));
    for (const codeSize of [100, 4096, 60000]) {
      const lfdb = loadFileDataBlock(readCap(buildCap({ ...BASE, codeSize })));
      expect(lfdb.length - codeSize).toBeGreaterThan(50);
      expect(lfdb.length - codeSize).toBeLessThan(200);
    }
  });

  it('accepts the largest codeSize, 65535, and names the package folder after the package AID by default', () => {
    const cap = readCap(buildCap({ ...BASE, codeSize: 65535 }));
    expect(readU16(cap.components.get('Method')!, 1)).toBe(65535);
    expect(cap.packageName).toBe('cardlab.pa00000015100aa');
  });

  it('refuses bad options with BAD_ARGUMENT naming the option', () => {
    const cases: Array<[Partial<CapBuildOptions>, RegExp]> = [
      [{ packageAid: fromHex('A0000001') }, /^packageAid: AID A0000001 has 4 bytes, 5\.\.16 allowed/],
      [{ appletAids: [fromHex('A0'.repeat(17))] }, /^appletAids\[0\]: AID .* has 17 bytes/],
      [{ appletAids: [] }, /^appletAids: 0 applets given/],
      [{ appletAids: [fromHex('A00000015100AA01'), fromHex('A00000015100AA01')] }, /^appletAids\[1\]: .* repeats/],
      [{ codeSize: -1 }, /^codeSize -1 is not an integer in 0\.\.65535/],
      [{ codeSize: 1.5 }, /^codeSize 1\.5/],
      [{ codeSize: 65536 }, /^codeSize 65536/],
      [{ packageVersion: { major: 256, minor: 0 } }, /^packageVersion\.major 256/],
      [{ importFramework: { major: 1, minor: -1 } }, /^importFramework\.minor -1/],
      [{ packageName: '1st.package' }, /^packageName '1st\.package'/],
      [{ imports: [{ aid: fromHex('A00000015100AA'), major: 1, minor: 0 }] }, /^imports\[0\]: A00000015100AA is the package itself/],
      [{ imports: [{ aid: fromHex('A000'), major: 1, minor: 0 }] }, /^imports\[0\]\.aid: AID A000 has 2 bytes/],
    ];
    for (const [change, message] of cases) {
      expect(() => buildCap({ ...BASE, ...change })).toThrow(message);
      expect(() => buildCap({ ...BASE, ...change })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', name: 'CapError' }));
    }
    expect(() => buildCap({ ...BASE, codeSize: -1 })).toThrow(CapError);
  });

  it('lists the packages given in imports after javacard.framework, and the Directory counts them', () => {
    const lib = { aid: fromHex('A0000001510BB0'), major: 1, minor: 2 };
    const cap = readCap(buildCap({ ...BASE, imports: [lib] }));
    expect(cap.imports.map((p) => [toHex(p.aid), p.major, p.minor])).toEqual([
      ['A0000000620101', 1, 3],
      ['A0000001510BB0', 1, 2],
    ]);
    expect(parseDirectoryComponent(cap.components.get('Directory')!, 1).importCount).toBe(2);
  });
});
