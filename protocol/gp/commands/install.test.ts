import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex, toHex } from '../../bytes.ts';
import { parseCommandApdu } from '../../apdu/index.ts';
import { buildInstallForInstall, buildInstallForLoad, buildInstallForMakeSelectable, encodeMemorySize } from './install.ts';
import { InstallDataError, parseInstallData } from './install-data.ts';

const ELF = fromHex('D0D1D2D3D4D501');
const APPLET = fromHex('D0D1D2D3D4D50101');
const ISD = fromHex('A000000151000000');
// Reference §6.6, decrypted from the KAOH SCP02 trace.
const KAOH_FOR_LOAD = hex`07 D0D1D2D3D4D501 08 A000000003000000 00 0A EF08 C6020160 C80207D0 00`;
const KAOH_FOR_INSTALL = hex`07 D0D1D2D3D4D501 08 D0D1D2D3D4D50101 08 D0D1D2D3D4D50101 01 02 09 C90100 EF04C80207D0 00`;
const LFDBH = fromHex('60A16FEA3D7BAF74DFE112ABF645972D6869EDEE8A46F4109CE78F40D33E57B5');

function refusal(p1: number, data: Uint8Array): InstallDataError {
  try {
    parseInstallData(p1, data);
  } catch (error) {
    if (error instanceof InstallDataError) return error;
    throw error;
  }
  throw new Error('parseInstallData accepted the data');
}

describe('INSTALL builders (GPCS 11.5, reference §6)', () => {
  it('builds the derived INSTALL [for load] with a SHA-256 LFDBH byte for byte', () => {
    const apdu = buildInstallForLoad({ loadFileAid: ELF, sdAid: ISD, lfdbHash: LFDBH });
    expect(toHex(apdu)).toBe('80E602003407D0D1D2D3D4D50108A0000001510000002060A16FEA3D7BAF74DFE112ABF645972D6869EDEE8A46F4109CE78F40D33E57B5000000');
  });

  it('builds the KAOH INSTALL [for load] data with load parameters EF{C6 C8}', () => {
    const apdu = parseCommandApdu(buildInstallForLoad({ loadFileAid: ELF, sdAid: fromHex('A000000003000000'), loadParameters: { nonVolatileCode: 0x160, nonVolatileData: 2000 } }));
    expect([apdu.cla, apdu.ins, apdu.p1, apdu.p2, apdu.ne]).toEqual([0x80, 0xe6, 0x02, 0x00, 256]);
    expect(toHex(apdu.data)).toBe(toHex(KAOH_FOR_LOAD));
  });

  it('builds the KAOH INSTALL [for install and make selectable] data', () => {
    const apdu = parseCommandApdu(buildInstallForInstall({ loadFileAid: ELF, moduleAid: APPLET, instanceAid: APPLET, privileges: hex`02`, applicationParameters: hex`00`, nonVolatileQuota: 2000 }));
    expect(apdu.p1).toBe(0x0c);
    expect(toHex(apdu.data)).toBe(toHex(KAOH_FOR_INSTALL));
  });

  it('sends C9 00 and privileges 00 by default, P1 04 without make selectable', () => {
    const apdu = parseCommandApdu(buildInstallForInstall({ loadFileAid: ELF, moduleAid: APPLET, instanceAid: APPLET, makeSelectable: false }));
    expect(apdu.p1).toBe(0x04);
    expect(toHex(apdu.data)).toBe('07D0D1D2D3D4D50108D0D1D2D3D4D5010108D0D1D2D3D4D501010100' + '02C900' + '00');
  });

  it('builds INSTALL [for make selectable] as 00 00 <L AID> <L privileges> 00 00', () => {
    expect(toHex(buildInstallForMakeSelectable({ instanceAid: APPLET }))).toBe('80E608000F000008D0D1D2D3D4D50101' + '0100' + '0000' + '00');
  });

  it('codes memory sizes on 2 bytes up to 32767 and on 4 bytes above', () => {
    expect(toHex(encodeMemorySize(32767))).toBe('7FFF');
    expect(toHex(encodeMemorySize(32768))).toBe('00008000');
    expect(() => encodeMemorySize(-1)).toThrow(RangeError);
  });
});

describe('parseInstallData (GPCS Tables 11-42..11-44)', () => {
  it('parses the KAOH INSTALL [for load] data', () => {
    const d = parseInstallData(0x02, KAOH_FOR_LOAD);
    expect(d.role).toBe('load');
    if (d.role !== 'load') return;
    expect(toHex(d.loadFileAid)).toBe('D0D1D2D3D4D501');
    expect(toHex(d.sdAid)).toBe('A000000003000000');
    expect(d.lfdbHash.length).toBe(0);
    expect(d.loadParameters).toEqual({ nonVolatileCode: 352, nonVolatileData: 2000 });
    expect(d.token.length).toBe(0);
    expect(d.tokenOffset).toBe(KAOH_FOR_LOAD.length - 1);
  });

  it('parses the KAOH INSTALL [for install and make selectable] data', () => {
    const d = parseInstallData(0x0c, KAOH_FOR_INSTALL);
    expect(d.role).toBe('install');
    if (d.role !== 'install') return;
    expect(toHex(d.moduleAid)).toBe('D0D1D2D3D4D50101');
    expect(toHex(d.privileges)).toBe('02');
    expect(toHex(d.applicationParameters)).toBe('00');
    expect(d.installParameters).toEqual({ nonVolatileQuota: 2000 });
    expect(d.makeSelectable).toBe(true);
  });

  it('parses the derived INSTALL [for load] with its LFDBH, and ignores the chaining bit of P1', () => {
    const d = parseInstallData(0x82, parseCommandApdu(buildInstallForLoad({ loadFileAid: ELF, sdAid: ISD, lfdbHash: LFDBH })).data);
    expect(d.role === 'load' && toHex(d.lfdbHash)).toBe(toHex(LFDBH));
  });

  it('reads a combined INSTALL (P1 0E) by P2: 01 for-load layout, 03 for-install layout', () => {
    expect(parseInstallData(0x0e, KAOH_FOR_LOAD, 0x01).role).toBe('load');
    expect(parseInstallData(0x0e, KAOH_FOR_INSTALL, 0x03).role).toBe('install');
    expect(() => parseInstallData(0x0e, KAOH_FOR_INSTALL, 0x00)).toThrow(InstallDataError);
  });

  it('parses INSTALL [for make selectable] with 3-byte privileges and a 128-byte token coded 80', () => {
    const token = new Uint8Array(128).fill(0xab);
    const d = parseInstallData(0x08, hex`00 00 08 D0D1D2D3D4D50101 03 000000 05 EF03CF0181 80 ${token}`);
    expect(d.role).toBe('make-selectable');
    if (d.role !== 'make-selectable') return;
    expect(toHex(d.instanceAid)).toBe('D0D1D2D3D4D50101');
    expect(toHex(d.privileges)).toBe('000000');
    expect(d.tokenOffset).toBe(21);
    expect(toHex(d.token)).toBe(toHex(token));
  });

  it('reads 4-byte quotas and every implicit selection parameter', () => {
    const d = parseInstallData(0x0c, hex`00 00 05 D0D1D2D3D4 01 00 16 C900 EF12 C70400010000 C80400020000 CF0140 CF0181 00`);
    expect(d.role === 'install' && d.installParameters).toEqual({ volatileQuota: 0x10000, nonVolatileQuota: 0x20000, implicitSelection: [0x40, 0x81] });
  });

  it('refuses a missing C9 in [for install]', () => {
    const data = hex`07 D0D1D2D3D4D501 08 D0D1D2D3D4D50101 08 D0D1D2D3D4D50101 01 02 06 EF04C80207D0 00`;
    expect(refusal(0x0c, data).offset).toBe(28);
  });

  it.each([
    ['an AID of 4 bytes', 0x02, hex`04 D0D1D2D3 00 00 00 00`, 0],
    ['an empty Load File AID in [for load]', 0x02, hex`00 00 00 00 00`, 0],
    ['an SD AID of 17 bytes', 0x02, hex`05 D0D1D2D3D4 11 ${'00'.repeat(17)} 00 00 00`, 6],
    ['privileges of 2 bytes', 0x0c, hex`00 00 05 D0D1D2D3D4 02 0000 02 C900 00`, 8],
    ['a memory size of 3 bytes', 0x02, hex`05 D0D1D2D3D4 00 00 07 EF05 C603000000 00`, 13],
    ['trailing bytes after the token', 0x02, hex`05 D0D1D2D3D4 00 00 00 00 FF`, 10],
    ['an LV running past the end', 0x02, hex`05 D0D1D2D3`, 0],
    ['install parameters that are not BER-TLV', 0x0c, hex`00 00 05 D0D1D2D3D4 01 00 03 C9 05 00 00`, 12],
    ['a make-selectable field that does not start 00 00', 0x08, hex`05 D0D1D2D3D4 01 00 00 00`, 0],
    ['a P1 with no data layout', 0x20, hex`00 00 05 D0D1D2D3D4 00 00 00`, 0],
  ])('refuses %s (InstallDataError → 6A80)', (_name, p1, data, offset) => {
    expect(refusal(p1, data).offset).toBe(offset);
  });

  it('round-trips every INSTALL [for load] and [for install] the builders make (property)', () => {
    const aidArb = fc.uint8Array({ minLength: 5, maxLength: 16 });
    const size = fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined });
    fc.assert(
      fc.property(aidArb, fc.option(aidArb, { nil: undefined }), fc.uint8Array({ maxLength: 64 }), size, size, size, fc.uint8Array({ maxLength: 200 }), (elf, sd, hash, a, b, c, token) => {
        const apdu = parseCommandApdu(buildInstallForLoad({ loadFileAid: elf, sdAid: sd, lfdbHash: hash, loadParameters: { nonVolatileCode: a, volatileData: b, nonVolatileData: c }, token }));
        const d = parseInstallData(apdu.p1, apdu.data);
        if (d.role !== 'load') throw new Error('role');
        expect(toHex(d.loadFileAid)).toBe(toHex(elf));
        expect(toHex(d.sdAid)).toBe(toHex(sd ?? new Uint8Array(0)));
        expect(toHex(d.lfdbHash)).toBe(toHex(hash));
        expect(d.loadParameters).toEqual(JSON.parse(JSON.stringify({ nonVolatileCode: a, volatileData: b, nonVolatileData: c })));
        expect(toHex(d.token)).toBe(toHex(token));
      }),
    );
    fc.assert(
      fc.property(aidArb, aidArb, fc.uint8Array({ minLength: 1, maxLength: 3 }).filter((p) => p.length !== 2), fc.uint8Array({ maxLength: 150 }), size, size, fc.boolean(), (elf, inst, privs, params, nv, v, ms) => {
        const apdu = parseCommandApdu(buildInstallForInstall({ loadFileAid: elf, moduleAid: elf, instanceAid: inst, privileges: privs, applicationParameters: params, nonVolatileQuota: nv, volatileQuota: v, makeSelectable: ms }));
        const d = parseInstallData(apdu.p1, apdu.data);
        if (d.role !== 'install') throw new Error('role');
        expect(toHex(d.instanceAid)).toBe(toHex(inst));
        expect(toHex(d.privileges)).toBe(toHex(privs));
        expect(toHex(d.applicationParameters)).toBe(toHex(params));
        expect(d.installParameters).toEqual(JSON.parse(JSON.stringify({ nonVolatileQuota: nv, volatileQuota: v })));
        expect(d.makeSelectable).toBe(ms);
      }),
    );
  });

  it('never throws anything but InstallDataError on arbitrary data (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x02, 0x04, 0x08, 0x0c), fc.uint8Array({ maxLength: 80 }), (p1, data) => {
        try {
          parseInstallData(p1, data);
        } catch (error) {
          expect(error).toBeInstanceOf(InstallDataError);
        }
      }),
    );
  });
});
