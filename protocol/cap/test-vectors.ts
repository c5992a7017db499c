/**
 * CAP component bytes for tests, quoted from the reference (globalplatform.md §12.3), and a helper
 * that zips hand-made components. Test support only: nothing outside tests imports this file.
 */
import { fromHex } from '../bytes.ts';
import { writeCapZip } from './cap-zip.ts';

/** `kaoh/globalplatform` `globalplatform/src/helloworld.cap` (8dd2f1bf), package net.sourceforge.globalplatform.jc.helloworld. */
export const HELLOWORLD = {
  folder: 'net/sourceforge/globalplatform/jc/helloworld/javacard',
  components: {
    Header: '010011DECAFFED010204000107D0D1D2D3D4D501',
    Directory: '02001F0011001F000C000B0026000C003B0019000F0000005D00020001000C010100',
    Applet: '03000C0108D0D1D2D3D4D50101000C',
    Import: '04000B01000107A0000000620101',
    ConstantPool: '05002600090680030003800301010000000600000103800A0103800A06050000000680100203800A08',
    Class: '06000C00800300FF00070100000017',
    Method: '07003B000110188C0000188B00017A02308F00023D8C00033B7A0521198B00042D198B00053B7B0006031A037B0006928D00073B19037B0006928B00087A',
    StaticField: '08001900020001000103000C48656C6C6F20576F726C642100000000',
    RefLocation: '09000F0000000B0504060408050406040604',
    Descriptor:
      '0B005D01000100000000010003FF1A0000000016FF82000100140009000000000009000C0021000900000000070100170024002200000000000900140014FFFF0014001600180016001A001E011001B0014006B4B44403441004B431066800A1',
  } as Record<string, string>,
  lfdbWithDescriptor: { length: 343, sha1: '258D12C1F5D76B3048DBF2135101DC83FF376905', sha256: '60A16FEA3D7BAF74DFE112ABF645972D6869EDEE8A46F4109CE78F40D33E57B5' },
  lfdbWithoutDescriptor: { length: 247, sha1: 'ECFA1E52BB1290D1004F116CF4210D0735B8EA02', sha256: '9C8E7F3DA89B91426B0F4293A23DDB639CABFF9F68BF8C3E8EB8C9BB4F71F6A4' },
};

/**
 * `martinpaljak/GlobalPlatformPro` `tests/Empty_0102030405_8d5ac9e2_2.2.1.cap`: only the three
 * components the reference quotes. The binary is not retrievable here, so its LFDB vectors
 * (211 bytes, SHA-256 8D5AC9E2…) cannot be checked.
 */
export const EMPTY_PARTIAL = {
  Header: '01000FDECAFFED0102040000050102030405',
  Applet: '03000C010801020304050607080013',
  Import: '04001F03020107A0000000620101020107A0000000620102000107A0000000620001',
};

/** Zips components given as hex (or bytes) under `folder`, in the given order. */
export function zipComponents(components: Record<string, string | Uint8Array>, folder = HELLOWORLD.folder): Uint8Array {
  return writeCapZip(
    Object.entries(components).map(([name, value]) => ({ path: `${folder}/${name}.cap`, bytes: typeof value === 'string' ? fromHex(value) : value })),
  );
}
