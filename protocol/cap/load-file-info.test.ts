import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../bytes.ts';
import { CapError } from './cap-error.ts';
import { readLoadFileDataBlock } from './load-file-info.ts';
import { HELLOWORLD } from './test-vectors.ts';

const C = HELLOWORLD.components;
const lfdb = (...names: string[]) => concat(...names.map((n) => fromHex(C[n]!)));
const GP_ORDER = ['Header', 'Directory', 'Import', 'Applet', 'Class', 'Method', 'StaticField', 'ConstantPool', 'RefLocation'];

function capError(bytes: Uint8Array): CapError {
  try {
    readLoadFileDataBlock(bytes);
  } catch (err) {
    if (err instanceof CapError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('reading a Load File Data Block as the card receives it (reference §12.2)', () => {
  it('reads HelloWorld with and without Descriptor: package D0D1D2D3D4D501 v1.0, applet D0D1D2D3D4D50101, javacard.framework 1.0', () => {
    for (const bytes of [lfdb(...GP_ORDER), lfdb(...GP_ORDER, 'Descriptor')]) {
      const info = readLoadFileDataBlock(bytes);
      expect(toHex(info.packageAid)).toBe('D0D1D2D3D4D501');
      expect(info.packageVersion).toEqual({ major: 1, minor: 0 });
      expect(info.applets.map((a) => toHex(a.aid))).toEqual(['D0D1D2D3D4D50101']);
      expect(info.imports.map((i) => [toHex(i.aid), i.major, i.minor])).toEqual([['A0000000620101', 1, 0]]);
    }
  });

  it('accepts the components in another order (KAOH and GPP order differ on the card side only by Descriptor)', () => {
    expect(toHex(readLoadFileDataBlock(lfdb('Applet', 'Import', 'Header')).packageAid)).toBe('D0D1D2D3D4D501');
  });

  it('refuses a missing Header, a repeated component, an unknown tag and a component running past the end', () => {
    expect(capError(lfdb('Directory', 'Applet')).code).toBe('MISSING_COMPONENT');
    expect(capError(lfdb('Header', 'Applet', 'Applet')).code).toBe('DUPLICATE_COMPONENT');
    expect(capError(concat(lfdb('Header'), fromHex('7F000100'))).code).toBe('BAD_COMPONENT');
    const cut = lfdb('Header', 'Applet');
    const e = capError(cut.subarray(0, cut.length - 2));
    expect(e.code).toBe('TRUNCATED');
    expect(e.component).toBe('Applet');
  });

  it('refuses a malformed Header (bad magic) naming the component', () => {
    const bad = fromHex(C.Header!);
    bad[3] = 0x00;
    expect(capError(bad).component).toBe('Header');
  });

  it('throws only CapError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          readLoadFileDataBlock(bytes);
        } catch (err) {
          if (!(err instanceof CapError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
