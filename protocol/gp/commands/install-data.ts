import { decodeBerLength, parseTlv, TlvError, type Tlv } from '../../tlv/index.ts';
import { INSTALL_P1, type LoadParameters } from './install.ts';

/**
 * The card side of INSTALL: parsing the data field of each role (GPCS 11.5.2.3, Tables 11-42..11-51),
 * beside the host builders in install.ts.
 */

/**
 * Why an INSTALL data field was refused; `offset` is where the faulty field starts in the data
 * field. The card answers `6A80` (incorrect values in the command data, GPCS Table 11-55).
 */
export class InstallDataError extends Error {
  override readonly name = 'InstallDataError';

  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} (at byte ${offset} of the INSTALL data)`);
  }
}

/**
 * INSTALL [for load] data (Table 11-42). Empty `sdAid` = the receiving SD, empty `lfdbHash` = none,
 * empty `token` = none. The token is computed over `P1 P2 Lc' data[0 .. tokenOffset)` (GPCS C.4.1).
 */
export interface InstallForLoad {
  role: 'load';
  loadFileAid: Uint8Array;
  sdAid: Uint8Array;
  lfdbHash: Uint8Array;
  loadParameters: LoadParameters;
  token: Uint8Array;
  tokenOffset: number;
}

/** Install parameters the card acts on (Tables 11-50/11-51); other tags are checked for form and left alone. */
export interface InstallParameters {
  nonVolatileQuota?: number;
  volatileQuota?: number;
  /** Each `EF/CF` byte: b8 contactless, b7 contact, b5–b1 logical channel (GPCS 11.5.2.3.7). */
  implicitSelection?: number[];
}

/** INSTALL [for install] / [for install and make selectable] data (Table 11-43); ELF and module AID may be empty. */
export interface InstallForInstall {
  role: 'install';
  loadFileAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid: Uint8Array;
  privileges: Uint8Array;
  /** The value of `C9`, handed to the applet's install() (may be empty). */
  applicationParameters: Uint8Array;
  installParameters: InstallParameters;
  token: Uint8Array;
  tokenOffset: number;
  makeSelectable: boolean;
}

/** INSTALL [for make selectable] data (Table 11-44). */
export interface InstallForMakeSelectable {
  role: 'make-selectable';
  instanceAid: Uint8Array;
  privileges: Uint8Array;
  token: Uint8Array;
  tokenOffset: number;
}

export type InstallData = InstallForLoad | InstallForInstall | InstallForMakeSelectable;

const aid = (len: number) => len >= 5 && len <= 16;
const aidOrEmpty = (len: number) => len === 0 || aid(len);

/** Reads the LV / BER-LV fields of Tables 11-42..11-44 front to back, throwing InstallDataError. */
class Fields {
  offset = 0;

  constructor(readonly data: Uint8Array) {}

  lv(name: string, ok: (length: number) => boolean, expected: string): Uint8Array {
    const at = this.offset;
    const length = this.data[at];
    if (length === undefined) throw new InstallDataError(`data ends where the ${name} length was expected`, at);
    if (!ok(length)) throw new InstallDataError(`${name} length ${length} is not ${expected}`, at);
    if (at + 1 + length > this.data.length) throw new InstallDataError(`${name} runs past the end of the data`, at);
    this.offset = at + 1 + length;
    return this.data.subarray(at + 1, this.offset);
  }

  /** A BER length; for the token also the single byte 80 = 128 (GPCS 11.5.2.3.1, reference §1.2). */
  berLv(name: string, token = false): Uint8Array {
    const at = this.offset;
    let length: number;
    let size: number;
    if (token && this.data[at] === 0x80) [length, size] = [128, 1];
    else {
      try {
        ({ length, size } = decodeBerLength(this.data, at));
      } catch (error) {
        if (error instanceof TlvError) throw new InstallDataError(`${name} length: ${error.message}`, at);
        throw error;
      }
    }
    if (at + size + length > this.data.length) throw new InstallDataError(`${name} runs past the end of the data`, at);
    this.offset = at + size + length;
    return this.data.subarray(at + size, this.offset);
  }

  fixed(name: string, byte: number): void {
    if (this.data[this.offset] !== byte) throw new InstallDataError(`${name} must be ${byte.toString(16).padStart(2, '0')}`, this.offset);
    this.offset++;
  }

  end(): void {
    if (this.offset !== this.data.length) throw new InstallDataError(`${this.data.length - this.offset} bytes follow the token`, this.offset);
  }

  /** Offset of `part` (a subarray of the data) in the data field. */
  at(part: Uint8Array): number {
    return part.byteOffset - this.data.byteOffset;
  }

  tlvs(name: string, value: Uint8Array): Tlv[] {
    try {
      return parseTlv(value);
    } catch (error) {
      if (error instanceof TlvError) throw new InstallDataError(`${name} are not BER-TLV: ${error.message}`, this.at(value) + error.offset);
      throw error;
    }
  }

  /** A memory size of 2 or 4 bytes (GPCS 11.5.2.3.7). */
  memory(tlv: Tlv): number {
    const v = tlv.value;
    if (v.length !== 2 && v.length !== 4) throw new InstallDataError(`memory size ${tlv.tag.toString(16).toUpperCase()} has ${v.length} bytes, not 2 or 4`, this.at(v));
    return v.reduce((n, b) => n * 256 + b, 0);
  }

  /** The children of the one `EF` among `params`, or none; a repeated tag is refused. */
  systemParameters(name: string, params: Tlv[]): Tlv[] {
    const efs = params.filter((t) => t.tag === 0xef);
    if (efs.length > 1) throw new InstallDataError(`${name} hold more than one EF`, this.at(efs[1]!.value));
    if (efs.length === 0) return [];
    const children = this.tlvs(`${name} EF`, efs[0]!.value);
    for (const tag of [0xc6, 0xc7, 0xc8, 0xd7, 0xd8]) {
      const same = children.filter((t) => t.tag === tag);
      if (same.length > 1) throw new InstallDataError(`${name} EF holds ${tag.toString(16).toUpperCase()} twice`, this.at(same[1]!.value));
      if (same[0]) this.memory(same[0]);
    }
    return children;
  }
}

function privileges(f: Fields): Uint8Array {
  return f.lv('privileges', (n) => n === 1 || n === 3, '1 or 3');
}

function parseForLoad(f: Fields): InstallForLoad {
  const loadFileAid = f.lv('Load File AID', aid, '5–16');
  const sdAid = f.lv('Security Domain AID', aidOrEmpty, '0 or 5–16');
  const lfdbHash = f.lv('Load File Data Block Hash', (n) => n <= 0x7f, '0–127');
  const params = f.berLv('load parameters');
  const loadParameters: LoadParameters = {};
  for (const t of f.systemParameters('load parameters', f.tlvs('load parameters', params))) {
    if (t.tag === 0xc6) loadParameters.nonVolatileCode = f.memory(t);
    if (t.tag === 0xc7) loadParameters.volatileData = f.memory(t);
    if (t.tag === 0xc8) loadParameters.nonVolatileData = f.memory(t);
  }
  const tokenOffset = f.offset;
  const token = f.berLv('load token', true);
  f.end();
  return { role: 'load', loadFileAid, sdAid, lfdbHash, loadParameters, token, tokenOffset };
}

function parseForInstall(f: Fields, makeSelectable: boolean): InstallForInstall {
  const loadFileAid = f.lv('Executable Load File AID', aidOrEmpty, '0 or 5–16');
  const moduleAid = f.lv('Executable Module AID', aidOrEmpty, '0 or 5–16');
  const instanceAid = f.lv('Application AID', aid, '5–16');
  const privs = privileges(f);
  const paramsAt = f.offset;
  const params = f.tlvs('install parameters', f.berLv('install parameters'));
  const c9 = params.filter((t) => t.tag === 0xc9);
  if (c9.length === 0) throw new InstallDataError('install parameters lack the mandatory C9 (application specific parameters)', paramsAt);
  if (c9.length > 1) throw new InstallDataError('install parameters hold C9 twice', f.at(c9[1]!.value));
  const installParameters: InstallParameters = {};
  for (const t of f.systemParameters('install parameters', params)) {
    if (t.tag === 0xc7) installParameters.volatileQuota = f.memory(t);
    if (t.tag === 0xc8) installParameters.nonVolatileQuota = f.memory(t);
    if (t.tag === 0xcf) {
      if (t.value.length !== 1) throw new InstallDataError(`implicit selection parameter CF has ${t.value.length} bytes, not 1`, f.at(t.value));
      (installParameters.implicitSelection ??= []).push(t.value[0]!);
    }
  }
  const tokenOffset = f.offset;
  const token = f.berLv('install token', true);
  f.end();
  return { role: 'install', loadFileAid, moduleAid, instanceAid, privileges: privs, applicationParameters: c9[0]!.value, installParameters, token, tokenOffset, makeSelectable };
}

function parseForMakeSelectable(f: Fields): InstallForMakeSelectable {
  f.fixed('the first length (no ELF AID) of INSTALL [for make selectable]', 0x00);
  f.fixed('the second length (no module AID) of INSTALL [for make selectable]', 0x00);
  const instanceAid = f.lv('Application AID', aid, '5–16');
  const privs = privileges(f);
  const params = f.tlvs('make selectable parameters', f.berLv('make selectable parameters'));
  for (const t of f.systemParameters('make selectable parameters', params)) {
    if (t.tag === 0xcf && t.value.length !== 1) throw new InstallDataError(`implicit selection parameter CF has ${t.value.length} bytes, not 1`, f.at(t.value));
  }
  const tokenOffset = f.offset;
  const token = f.berLv('make selectable token', true);
  f.end();
  return { role: 'make-selectable', instanceAid, privileges: privs, token, tokenOffset };
}

/**
 * Parses the data field of INSTALL (GPCS 11.5.2.3, Tables 11-42..11-44) by the role in P1 (b8, the
 * chaining flag, is ignored): 02 [for load], 04 [for install], 0C [for install and make
 * selectable], 08 [for make selectable]; 0E (combined) needs P2: 01 carries the [for load] layout,
 * 03 the [for install] layout. Strict: every LV must fit, AIDs are 5–16 bytes (00 only where the
 * tables allow it), privileges 1 or 3 bytes, C9 is mandatory for [for install], memory sizes are 2
 * or 4 bytes, parameters must be well-formed BER-TLV (tags the card does not act on are skipped)
 * and nothing may follow the token. Throws InstallDataError (→ 6A80); a card should refuse a P1 it
 * does not support with 6A86 before calling this.
 */
export function parseInstallData(p1: number, data: Uint8Array, p2 = 0x00): InstallData {
  const f = new Fields(data);
  const role = p1 & 0x7f;
  if (role === INSTALL_P1.FOR_LOAD || (role === INSTALL_P1.FOR_LOAD_INSTALL_AND_MAKE_SELECTABLE && p2 === 0x01)) return parseForLoad(f);
  if (role === INSTALL_P1.FOR_INSTALL || role === INSTALL_P1.FOR_INSTALL_AND_MAKE_SELECTABLE) return parseForInstall(f, role === INSTALL_P1.FOR_INSTALL_AND_MAKE_SELECTABLE);
  if (role === INSTALL_P1.FOR_LOAD_INSTALL_AND_MAKE_SELECTABLE && p2 === 0x03) return parseForInstall(f, true);
  if (role === INSTALL_P1.FOR_MAKE_SELECTABLE) return parseForMakeSelectable(f);
  throw new InstallDataError(`INSTALL P1 ${p1.toString(16).padStart(2, '0')} P2 ${p2.toString(16).padStart(2, '0')} has no data layout parsed here`, 0);
}
