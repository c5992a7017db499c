import { buildCommandApdu } from '../../apdu/index.ts';
import { concat } from '../../bytes.ts';
import { berLv, buildTlv, lv } from '../../tlv/index.ts';

/** Memory requirements of INSTALL [for load] (GPCS Table 11-49, `EF` { `C6` `C7` `C8` }), in bytes. */
export interface LoadParameters {
  nonVolatileCode?: number;
  volatileData?: number;
  nonVolatileData?: number;
}

const EMPTY = new Uint8Array(0);

/** INSTALL P1 roles (GPCS Table 11-41); b8 announces more INSTALL commands (chaining). */
export const INSTALL_P1 = {
  FOR_LOAD: 0x02,
  FOR_INSTALL: 0x04,
  FOR_MAKE_SELECTABLE: 0x08,
  FOR_INSTALL_AND_MAKE_SELECTABLE: 0x0c,
  FOR_LOAD_INSTALL_AND_MAKE_SELECTABLE: 0x0e,
  MORE_COMMANDS: 0x80,
} as const;

/**
 * A memory size as GPCS 11.5.2.3.7 codes it: 2 bytes up to 32767, 4 bytes above (reference §1.2).
 * Throws RangeError outside 0..2^32-1.
 */
export function encodeMemorySize(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`memory size ${value} is not a 32-bit unsigned integer`);
  if (value <= 0x7fff) return Uint8Array.of(value >> 8, value & 0xff);
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** `EF { tag value … }` of the given memory sizes in tag order; empty when none is given. */
function systemParameters(entries: Array<[number, number | undefined]>): Uint8Array {
  const present = entries.filter((e): e is [number, number] => e[1] !== undefined);
  if (present.length === 0) return EMPTY;
  return buildTlv(0xef, present.map(([tag, value]) => buildTlv(tag, encodeMemorySize(value))));
}

function install(p1: number, data: Uint8Array): Uint8Array {
  return buildCommandApdu({ cla: 0x80, ins: 0xe6, p1, p2: 0x00, data, ne: 256 });
}

/**
 * INSTALL [for load] (GPCS 11.5.2.3.1, Table 11-42): `80 E6 02 00 Lc <L ELF AID> <L SD AID>
 * <L LFDBH> <BER L load parameters> <BER L token> 00`. An absent SD AID means the receiving SD;
 * load parameters become `EF { C6 C7 C8 }`; no token is coded `00`.
 */
export function buildInstallForLoad(o: {
  loadFileAid: Uint8Array;
  sdAid?: Uint8Array;
  lfdbHash?: Uint8Array;
  loadParameters?: LoadParameters;
  token?: Uint8Array;
}): Uint8Array {
  const p = o.loadParameters ?? {};
  const params = systemParameters([[0xc6, p.nonVolatileCode], [0xc7, p.volatileData], [0xc8, p.nonVolatileData]]);
  return install(INSTALL_P1.FOR_LOAD, concat(lv(o.loadFileAid), lv(o.sdAid ?? EMPTY), lv(o.lfdbHash ?? EMPTY), berLv(params), berLv(o.token ?? EMPTY)));
}

/**
 * INSTALL [for install and make selectable] (P1 0C, the usual "create applet") or, with
 * `makeSelectable: false`, INSTALL [for install] (P1 04) (GPCS 11.5.2.3.2, Table 11-43):
 * `<L ELF AID> <L module AID> <L instance AID> <L privileges> <BER L install parameters> <BER L token>`.
 * Install parameters are `C9 <L> <application parameters>` — always present, `C9 00` when there
 * are none — then `EF { C7 volatile quota, C8 non-volatile quota }` when a quota is given.
 * Privileges default to `00`.
 */
export function buildInstallForInstall(o: {
  loadFileAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid: Uint8Array;
  privileges?: Uint8Array;
  applicationParameters?: Uint8Array;
  nonVolatileQuota?: number;
  volatileQuota?: number;
  makeSelectable?: boolean;
  token?: Uint8Array;
}): Uint8Array {
  const params = concat(
    buildTlv(0xc9, o.applicationParameters ?? EMPTY),
    systemParameters([[0xc7, o.volatileQuota], [0xc8, o.nonVolatileQuota]]),
  );
  const data = concat(lv(o.loadFileAid), lv(o.moduleAid), lv(o.instanceAid), lv(o.privileges ?? Uint8Array.of(0x00)), berLv(params), berLv(o.token ?? EMPTY));
  return install(o.makeSelectable === false ? INSTALL_P1.FOR_INSTALL : INSTALL_P1.FOR_INSTALL_AND_MAKE_SELECTABLE, data);
}

/**
 * INSTALL [for make selectable] (GPCS 11.5.2.3.3, Table 11-44): `80 E6 08 00 Lc 00 00 <L instance AID>
 * <L privileges> 00 <BER L token> 00`. Privileges default to `00`.
 */
export function buildInstallForMakeSelectable(o: { instanceAid: Uint8Array; privileges?: Uint8Array; token?: Uint8Array }): Uint8Array {
  const data = concat(Uint8Array.of(0x00, 0x00), lv(o.instanceAid), lv(o.privileges ?? Uint8Array.of(0x00)), Uint8Array.of(0x00), berLv(o.token ?? EMPTY));
  return install(INSTALL_P1.FOR_MAKE_SELECTABLE, data);
}

// ---------------------------------------------------------------------------------------------
// Card side: the INSTALL data field, parsed strictly.
