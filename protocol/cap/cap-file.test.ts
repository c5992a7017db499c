import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { fromHex, toHex } from '../bytes.ts';
import { CapError, readCap, loadFileDataBlock, loadFileDataBlockHash, parseHeaderComponent, parseAppletComponent, parseImportComponent } from './index.ts';
import { HELLOWORLD, EMPTY_PARTIAL, zipComponents } from './test-vectors.ts';

const FIXTURE = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'cap', 'helloworld.cap');
const helloworld = () => readCap(readFileSync(FIXTURE));

/** Runs `fn`, expects a CapError and returns it. */
function capError(fn: () => unknown): CapError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CapError);
    return err as CapError;
  }
  throw new Error('expected a CapError');
}

const withComponents = (changes: Record<string, string | null>) => {
  const components: Record<string, string> = { ...HELLOWORLD.components };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete components[name];
    else components[name] = value;
  }
  return zipComponents(components);
};

describe('readCap: the HelloWorld CAP (reference §12.3)', () => {
  it('reads package D0D1D2D3D4D501 v1.0, CAP 2.1, its name from the archive folder, applet D0D1D2D3D4D50101 with install() at 000C', () => {
    const cap = helloworld();
    expect(toHex(cap.packageAid)).toBe('D0D1D2D3D4D501');
    expect(cap.packageVersion).toEqual({ major: 1, minor: 0 });
    expect(cap.capVersion).toEqual({ major: 2, minor: 1 });
    expect(cap.packageName).toBe('net.sourceforge.globalplatform.jc.helloworld');
    expect(cap.applets.map((a) => [toHex(a.aid), a.installMethodOffset])).toEqual([['D0D1D2D3D4D50101', 0x0c]]);
    expect(cap.imports.map((p) => [toHex(p.aid), p.major, p.minor])).toEqual([['A0000000620101', 1, 0]]);
  });

  it('keeps every component byte for byte, tag and size included', () => {
    const cap = helloworld();
    expect([...cap.components.keys()].sort()).toEqual(Object.keys(HELLOWORLD.components).sort());
    for (const [name, hex] of Object.entries(HELLOWORLD.components)) expect(toHex(cap.components.get(name)!)).toBe(hex);
  });

  it('builds the 343-byte LFDB with Descriptor that GPShell loads, with the reference SHA-256 and SHA-1', () => {
    const lfdb = loadFileDataBlock(helloworld(), { includeDescriptor: true });
    expect(lfdb.length).toBe(HELLOWORLD.lfdbWithDescriptor.length);
    expect(toHex(loadFileDataBlockHash(lfdb))).toBe(HELLOWORLD.lfdbWithDescriptor.sha256);
    expect(toHex(loadFileDataBlockHash(lfdb, 'SHA-1'))).toBe(HELLOWORLD.lfdbWithDescriptor.sha1);
  });

  it('leaves the Descriptor out by default, as GlobalPlatformPro does: 247 bytes, SHA-256 9C8E7F3D…', () => {
    const lfdb = loadFileDataBlock(helloworld());
    expect(lfdb.length).toBe(HELLOWORLD.lfdbWithoutDescriptor.length);
    expect(toHex(loadFileDataBlockHash(lfdb, 'SHA-256'))).toBe(HELLOWORLD.lfdbWithoutDescriptor.sha256);
    expect(toHex(loadFileDataBlockHash(lfdb, 'SHA-1'))).toBe(HELLOWORLD.lfdbWithoutDescriptor.sha1);
  });

  it('orders the LFDB Header, Directory, Import, Applet, Class, Method, StaticField, ConstantPool, RefLocation, Descriptor whatever the archive order', () => {
    const c = HELLOWORLD.components;
    const reversed = Object.fromEntries(Object.entries(c).reverse());
    const lfdb = loadFileDataBlock(readCap(zipComponents(reversed)), { includeDescriptor: true });
    const order = ['Header', 'Directory', 'Import', 'Applet', 'Class', 'Method', 'StaticField', 'ConstantPool', 'RefLocation', 'Descriptor'];
    expect(toHex(lfdb)).toBe(order.map((n) => c[n]).join(''));
  });

  it('skips entries outside javacard/ (a manifest) and finds components at the archive root', () => {
    const files: Record<string, Uint8Array> = { 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\r\n') };
    for (const [name, hex] of Object.entries(HELLOWORLD.components)) files[`javacard/${name}.cap`] = fromHex(hex);
    const cap = readCap(zipSync(files));
    expect(cap.packageName).toBeUndefined();
    expect(loadFileDataBlock(cap).length).toBe(247);
  });
});

describe('component parsers: the Empty CAP of GlobalPlatformPro (reference §12.3)', () => {
  it('reads package 0102030405 v0.0, applet 0102030405060708 and three imports (framework 1.2, security 1.2, java.lang 1.0)', () => {
    const header = parseHeaderComponent(fromHex(EMPTY_PARTIAL.Header));
    expect(toHex(header.packageAid)).toBe('0102030405');
    expect(header.packageVersion).toEqual({ major: 0, minor: 0 });
    expect(header.flags).toBe(0x04);
    expect(parseAppletComponent(fromHex(EMPTY_PARTIAL.Applet)).map((a) => [toHex(a.aid), a.installMethodOffset])).toEqual([['0102030405060708', 0x13]]);
    expect(parseImportComponent(fromHex(EMPTY_PARTIAL.Import)).map((p) => `${toHex(p.aid)} ${p.major}.${p.minor}`)).toEqual([
      'A0000000620101 1.2',
      'A0000000620102 1.2',
      'A0000000620001 1.0',
    ]);
  });

  // The Empty CAP binary is not stored as text in the reference store and §12.3 quotes only three of its
  // components, so its Descriptor-less LFDB (211 bytes, SHA-256 8D5AC9E2…) cannot be rebuilt here.

  it('reads a CAP 2.2 Header package name', () => {
    const name = 'com.example';
    const header = parseHeaderComponent(fromHex(`010019DECAFFED020204000107D0D1D2D3D4D5010B${toHex(new TextEncoder().encode(name))}`));
    expect(header.capVersion).toEqual({ major: 2, minor: 2 });
    expect(header.packageName).toBe(name);
  });
});

describe('readCap refuses broken CAPs with a precise CapError', () => {
  it('refuses a component whose length says more bytes than are present, naming the component and offset', () => {
    const err = capError(() => readCap(withComponents({ Applet: '03000C0108D0D1D2D3D4D501' })));
    expect(err.code).toBe('TRUNCATED');
    expect(err.component).toBe('Applet');
    expect(err.offset).toBe(3);
    expect(err.message).toBe('Applet.cap: component length says 12 bytes, 9 present (offset 3)');
  });

  it('refuses a component with bytes beyond its length', () => {
    const err = capError(() => readCap(withComponents({ Import: '04000B01000107A000000062010100' })));
    expect([err.code, err.component]).toEqual(['BAD_COMPONENT', 'Import']);
    expect(err.message).toMatch(/^Import\.cap: component length says 11 bytes, 12 present/);
  });

  it('refuses a component whose tag is not its entry name', () => {
    const err = capError(() => readCap(withComponents({ Class: '07000C00800300FF00070100000017' })));
    expect([err.code, err.component, err.offset]).toEqual(['BAD_COMPONENT', 'Class', 0]);
    expect(err.message).toContain('tag 7 (Method) where Class (6) belongs');
  });

  it('refuses a truncated ZIP archive (TRUNCATED) and bytes that are no ZIP at all (NOT_A_ZIP)', () => {
    const zip = readFileSync(FIXTURE);
    expect(capError(() => readCap(zip.subarray(0, zip.length - 30))).code).toBe('TRUNCATED');
    expect(capError(() => readCap(zip.subarray(0, 100))).code).toBe('TRUNCATED');
    expect(capError(() => readCap(new TextEncoder().encode('not a zip'))).code).toBe('NOT_A_ZIP');
    expect(capError(() => readCap(new Uint8Array(0))).code).toBe('NOT_A_ZIP');
  });

  it('refuses a CAP without a Header, and an empty archive, as MISSING_COMPONENT Header', () => {
    for (const zip of [withComponents({ Header: null }), zipSync({})]) {
      const err = capError(() => readCap(zip));
      expect([err.code, err.component]).toEqual(['MISSING_COMPONENT', 'Header']);
    }
  });

  it('refuses a CAP whose Header flags announce applets but that has no Applet component', () => {
    const err = capError(() => readCap(withComponents({ Applet: null })));
    expect([err.code, err.component]).toEqual(['MISSING_COMPONENT', 'Applet']);
    expect(err.message).toContain('Header flags (04) announce the Applet component, the CAP has none');
  });

  it('refuses an Applet component the Header flags do not announce', () => {
    const err = capError(() => readCap(withComponents({ Header: '010011DECAFFED010200000107D0D1D2D3D4D501' })));
    expect([err.code, err.component]).toEqual(['BAD_COMPONENT', 'Applet']);
  });

  it('refuses a Header whose magic is not DECAFFED (BAD_MAGIC at offset 3)', () => {
    const err = capError(() => readCap(withComponents({ Header: '010011CAFEBABE010204000107D0D1D2D3D4D501' })));
    expect([err.code, err.component, err.offset]).toEqual(['BAD_MAGIC', 'Header', 3]);
    expect(err.message).toContain('CAFEBABE');
  });

  it('refuses a package AID of 4 bytes and an applet AID of 17, naming the length byte', () => {
    const header = capError(() => readCap(withComponents({ Header: '010010DECAFFED010204000104D0D1D2D3D401' })));
    expect([header.code, header.component, header.offset]).toEqual(['BAD_COMPONENT', 'Header', 12]);
    expect(header.message).toContain('package AID length 4 is outside 5..16');
    const applet = capError(() => readCap(withComponents({ Applet: `030015 01 11 ${'D0'.repeat(17)} 000C` })));
    expect([applet.code, applet.component, applet.offset]).toEqual(['BAD_COMPONENT', 'Applet', 4]);
  });

  it('refuses an Applet component whose count runs past its end (TRUNCATED)', () => {
    const err = capError(() => readCap(withComponents({ Applet: '03000C0208D0D1D2D3D4D50101000C' })));
    expect([err.code, err.component]).toEqual(['TRUNCATED', 'Applet']);
  });

  it('refuses the same component twice in two folders (DUPLICATE_COMPONENT)', () => {
    const files: Record<string, Uint8Array> = {};
    for (const [name, hex] of Object.entries(HELLOWORLD.components)) files[`a/javacard/${name}.cap`] = fromHex(hex);
    files['b/javacard/Header.cap'] = fromHex(HELLOWORLD.components.Header!);
    const err = capError(() => readCap(zipSync(files)));
    expect([err.code, err.component]).toEqual(['DUPLICATE_COMPONENT', 'Header']);
  });

  it('refuses a Directory that disagrees with a component size', () => {
    const directory = HELLOWORLD.components.Directory!.replace('02001F0011', '02001F0012');
    const err = capError(() => readCap(withComponents({ Directory: directory })));
    expect([err.code, err.component]).toEqual(['BAD_COMPONENT', 'Directory']);
    expect(err.message).toContain('Directory says Header has 18 bytes, Header.cap has 17');
  });

  it('refuses a CAP without a Method component', () => {
    const err = capError(() => readCap(withComponents({ Method: null })));
    expect([err.code, err.component]).toEqual(['MISSING_COMPONENT', 'Method']);
  });
});

describe('readCap properties', () => {
  it('throws only CapError for random bytes, with or without a ZIP signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, pk) => {
        const input = pk ? Uint8Array.of(0x50, 0x4b, 0x03, 0x04, ...bytes) : bytes;
        try {
          readCap(input);
        } catch (err) {
          if (!(err instanceof CapError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('throws only CapError when a byte of the HelloWorld archive itself is changed', () => {
    const zip = readFileSync(FIXTURE);
    fc.assert(
      fc.property(fc.nat({ max: zip.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const broken = Uint8Array.from(zip, (b, j) => (j === at ? value : b));
        try {
          readCap(broken);
        } catch (err) {
          if (!(err instanceof CapError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('parses or throws CapError when a HelloWorld component is corrupted or cut', () => {
    const names = Object.keys(HELLOWORLD.components);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (name, at, value, cut) => {
        const bytes = fromHex(HELLOWORLD.components[name]!);
        const i = at % bytes.length;
        const broken = cut ? bytes.slice(0, i) : Uint8Array.from(bytes, (b, j) => (j === i ? value : b));
        try {
          readCap(withComponents({ [name]: toHex(broken) }));
        } catch (err) {
          if (!(err instanceof CapError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});
