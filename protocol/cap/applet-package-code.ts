import { concat, u16 } from '../bytes.ts';
import { buildComponent } from './components.ts';

/**
 * The code components of a generated applet package, modelled on the HelloWorld CAP in the
 * reference (§12.3), one class per applet: each `extends javacard.framework.Applet` (Applet is class
 * token 3 of import 0), has a private constructor calling `register()`, a static `install()` doing
 * `new <class>()`, and `process(APDU)` that returns. The last `process` is padded with `nop` so the
 * Method component's info is `codeSize` bytes.
 */
export interface AppletPackageCode {
  constantPool: Uint8Array;
  class: Uint8Array;
  method: Uint8Array;
  staticField: Uint8Array;
  refLocation: Uint8Array;
  descriptor: Uint8Array;
  installMethodOffsets: number[];
}

const INIT = 11; // 01 10 | 18 8C iiii 18 8B iiii 7A
const INSTALL = 11; // 02 30 | 8F iiii 3D 8C iiii 3B 7A
const PROCESS = 3; // 00 20 | (00…) 7A
const CLASS_INFO = 12;

/** Smallest Method component info for `appletCount` applets: handler_count plus three methods per applet. */
export function minimumCodeSize(appletCount: number): number {
  return 1 + appletCount * (INIT + INSTALL + PROCESS);
}

export function buildAppletPackageCode(appletCount: number, codeSize: number): AppletPackageCode {
  const filler = Math.max(0, codeSize - minimumCodeSize(appletCount));
  // Constant pool (JCVM §6.7): 0 Applet.<init>, 1 Applet.register(), then per applet its class and constructor.
  const cp: Uint8Array[] = [new Uint8Array([0x06, 0x80, 0x03, 0x00]), new Uint8Array([0x03, 0x80, 0x03, 0x01])];
  const classes: Uint8Array[] = [];
  const methods: Uint8Array[] = [new Uint8Array([0x00])]; // handler_count
  const patchOffsets: number[] = []; // where 2-byte constant pool indices sit in the Method info
  const descriptors: Uint8Array[] = [];
  const installMethodOffsets: number[] = [];
  const types = { init: 0, install: 0, process: 0 }; // filled once the constant pool size is known
  const layout: Array<{ init: number; install: number; process: number; processBytecodes: number }> = [];

  let at = 1;
  for (let i = 0; i < appletCount; i++) {
    const classCp = cp.length;
    cp.push(concat(new Uint8Array([0x01]), u16(i * CLASS_INFO), new Uint8Array([0x00])));
    const initCp = cp.length;
    cp.push(concat(new Uint8Array([0x06, 0x00]), u16(at)));
    const pad = i === appletCount - 1 ? filler : 0;
    methods.push(
      concat(new Uint8Array([0x01, 0x10, 0x18, 0x8c]), u16(0), new Uint8Array([0x18, 0x8b]), u16(1), new Uint8Array([0x7a])),
      concat(new Uint8Array([0x02, 0x30, 0x8f]), u16(classCp), new Uint8Array([0x3d, 0x8c]), u16(initCp), new Uint8Array([0x3b, 0x7a])),
      concat(new Uint8Array([0x00, 0x20]), new Uint8Array(pad), new Uint8Array([0x7a])),
    );
    patchOffsets.push(at + 4, at + 8, at + INIT + 3, at + INIT + 7);
    const entry = { init: at, install: at + INIT, process: at + INIT + INSTALL, processBytecodes: pad + 1 };
    layout.push(entry);
    installMethodOffsets.push(entry.install);
    at += INIT + INSTALL + PROCESS + pad;
    // class_info (CAP 2.1): flags|interface_count, super Applet, instance size 0, no references, public vtable base 7 with process().
    classes.push(concat(new Uint8Array([0x00, 0x80, 0x03, 0x00, 0xff, 0x00, 0x07, 0x01, 0x00, 0x00]), u16(entry.process)));
  }

  // Descriptor (JCVM §6.13): type descriptors follow the constant pool type table.
  const typeBase = 2 + 2 * cp.length;
  types.init = typeBase; // ()V
  types.install = typeBase + 2; // ([BSB)V
  types.process = typeBase + 5; // (Ljavacard/framework/APDU;)V
  const cpTypes = cp.map((entry) => u16(entry[0] === 0x01 ? 0xffff : types.init));
  layout.forEach((m, i) => {
    descriptors.push(
      concat(new Uint8Array([i, 0x01]), u16(i * CLASS_INFO), new Uint8Array([0x00]), u16(0), u16(3)),
      methodDescriptor(0xff, 0x82, m.init, types.init, INIT - 2),
      methodDescriptor(0x00, 0x09, m.install, types.install, INSTALL - 2),
      methodDescriptor(0x07, 0x01, m.process, types.process, m.processBytecodes),
    );
  });
  const typeDescriptors = new Uint8Array([0x01, 0x10, 0x04, 0xb4, 0x31, 0x06, 0x68, 0x00, 0xa1]);

  return {
    constantPool: buildComponent('ConstantPool', concat(u16(cp.length), ...cp)),
    class: buildComponent('Class', concat(...classes)),
    method: buildComponent('Method', concat(...methods)),
    // No static fields: image_size, reference_count, array_init_count, default_value_count, non_default_value_count all 0.
    staticField: buildComponent('StaticField', new Uint8Array(10)),
    refLocation: buildComponent('RefLocation', concat(u16(0), u16(patchOffsets.length), encodeOffsets(patchOffsets))),
    descriptor: buildComponent('Descriptor', concat(new Uint8Array([appletCount]), ...descriptors, u16(cp.length), ...cpTypes, typeDescriptors)),
    installMethodOffsets,
  };
}

function methodDescriptor(token: number, access: number, offset: number, type: number, bytecodeCount: number): Uint8Array {
  return concat(new Uint8Array([token, access]), u16(offset), u16(type), u16(bytecodeCount), u16(0), u16(0));
}

/**
 * RefLocation offsets are deltas from the previous one (JCVM §6.11). The filler sits after the last
 * patched index, so every gap here is a few bytes and the 255-skip encoding of long gaps never arises.
 */
function encodeOffsets(offsets: readonly number[]): Uint8Array {
  return new Uint8Array(offsets.map((offset, i) => offset - (i === 0 ? 0 : offsets[i - 1]!)));
}
