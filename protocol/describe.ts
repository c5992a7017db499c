import { equalBytes, toHex } from './bytes.ts';
import { ApduError, INS, commandName, isGpClass, isSecureMessagingClass, logicalChannel, parseCommandApdu, parseResponseApdu, swHex, swMeaning, type CommandApdu } from './apdu/index.ts';
import { byteCount, describeLvFields, describeTlvTree, describeValue, shortHex, tagHex, tagName, type LvField, type Tlv } from './tlv/index.ts';
import { describeCplc } from './gp/data/index.ts';

/**
 * Annotation of APDUs for traces and golden transcripts: the command's spec name and header, its
 * decoded fields, the status word's meaning and the response data as a BER-TLV tree. Lines carry no
 * leading '#' (the trace writer adds it); detail lines are indented two spaces. Nothing here throws:
 * what cannot be decoded is shown in hex.
 */

const TREE = { describers: { 0x9f7f: describeCplc } };
const hx = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
const failure = (what: string, bytes: Uint8Array, e: unknown) => {
  const why = e instanceof Error ? `${'code' in e ? `${String(e.code)}: ` : ''}${e.message}` : String(e);
  return [`malformed ${what} (${why}): ${toHex(bytes)}`];
};

const hexOrTree = (label: string, value: Uint8Array) => describeValue(label, value, TREE);

const AID = (name: string): LvField => ({ name });
const PARAMS = (name: string): LvField => ({ name: `${name} parameters`, ber: true, kind: 'tlv' });
const TOKEN = (name: string): LvField => ({ name: `${name} token`, ber: true });
const PRIVILEGES: LvField = { name: 'privileges', kind: 'privileges' };
const EMPTY: LvField = { name: '' };

/** INSTALL data field layouts by P1 role (GPCS 11.5.2.3, Tables 11-42..11-47). */
const FOR_LOAD = [AID('Load File AID'), AID('Security Domain AID'), AID('Load File Data Block Hash'), PARAMS('load'), TOKEN('load')];
const FOR_INSTALL = [AID('Executable Load File AID'), AID('Executable Module AID'), AID('Application AID'), PRIVILEGES, PARAMS('install'), TOKEN('install')];
const INSTALL_LAYOUTS: Record<number, LvField[]> = {
  0x02: FOR_LOAD, 0x04: FOR_INSTALL, 0x0c: FOR_INSTALL,
  0x08: [EMPTY, EMPTY, AID('Application AID'), PRIVILEGES, PARAMS('make selectable'), TOKEN('make selectable')],
  0x10: [AID('Security Domain AID'), EMPTY, AID('Application or Load File AID'), EMPTY, PARAMS('extradition'), TOKEN('extradition')],
  0x20: [EMPTY, EMPTY, AID('Application AID'), EMPTY, { ...EMPTY, ber: true }, { ...EMPTY, ber: true }],
  0x40: [AID('Security Domain AID'), EMPTY, AID('Application AID'), PRIVILEGES, PARAMS('registry update'), TOKEN('registry update')],
};

function installFields(a: CommandApdu): string[] {
  const role = a.p1 & 0x7f;
  // The combined command carries the for-load layout first (P2 01) and the for-install layout last (P2 03).
  const layout = role === 0x0e ? (a.p2 === 0x01 ? FOR_LOAD : a.p2 === 0x03 ? FOR_INSTALL : undefined) : INSTALL_LAYOUTS[role];
  // A chained segment (P1 b8) holds only part of the fields.
  if (!layout || a.p1 & 0x80) return hexOrTree('data', a.data);
  try {
    return describeLvFields(a.data, layout, TREE);
  } catch {
    return hexOrTree('data', a.data);
  }
}

const SUBSETS: Record<number, string> = { 0x80: 'Issuer Security Domain', 0x40: 'applications and Security Domains', 0x20: 'Executable Load Files', 0x10: 'Executable Load Files and Modules' };
const SET_STATUS_SCOPES: Record<number, string> = { 0x80: 'card (ISD)', 0x40: 'application or SSD', 0x60: 'Security Domain and its applications' };

/** Lines about P1-P2 (what the spec says the parameters select). */
function parameterLines(a: CommandApdu): string[] {
  const tag = (a.p1 << 8) | a.p2;
  switch (a.ins) {
    case INS.SELECT: return [`${a.p1 === 0x04 ? 'select by name' : `P1 ${hx(a.p1)}`}, ${a.p2 === 0x02 ? 'next occurrence' : 'first or only occurrence'}`];
    case INS.GET_DATA: case INS.GET_DATA_ODD: return [`tag ${tagHex(tag)}${tagName(tag) ? ` ${tagName(tag)}` : ''}`];
    case INS.GET_STATUS: return [`${SUBSETS[a.p1] ?? `subset ${hx(a.p1)}`}, ${a.p2 & 0x01 ? 'next' : 'first'} occurrences, ${a.p2 & 0x02 ? 'TLV' : 'legacy'} format`];
    case INS.LOAD: return [`block ${a.p2}${a.p1 & 0x80 ? ', last block' : ', more blocks follow'}`];
    case INS.DELETE: return [`${a.p2 & 0x80 ? 'delete object and related objects' : 'delete object'}${a.p1 & 0x80 ? ', more DELETE commands follow' : ''}`];
    case INS.SET_STATUS: return [`${SET_STATUS_SCOPES[a.p1] ?? `P1 ${hx(a.p1)}`}, state ${hx(a.p2)}`];
    case INS.INITIALIZE_UPDATE: return [`key version number ${hx(a.p1)}${a.p1 === 0 ? ' (first available)' : ''}`];
    case INS.EXTERNAL_AUTHENTICATE: return [`security level ${hx(a.p1)}`];
    case INS.MANAGE_CHANNEL: return [a.p1 & 0x80 ? `close channel ${a.p2}` : 'open a channel'];
    case INS.INSTALL: case INS.PUT_KEY: return a.p1 & 0x80 ? ['more commands follow (chained)'] : [];
    default: return [];
  }
}

function dataLines(a: CommandApdu): string[] {
  switch (a.ins) {
    case INS.SELECT: return a.p1 === 0x04 ? [`AID: ${toHex(a.data)}`] : [`data: ${shortHex(a.data)}`];
    case INS.SET_STATUS: return [`AID: ${toHex(a.data)}`];
    case INS.INITIALIZE_UPDATE: return [`host challenge: ${toHex(a.data)}`];
    case INS.INSTALL: return installFields(a);
    case INS.LOAD: case INS.PUT_KEY: case INS.STORE_DATA: return [`data (${byteCount(a.data.length)}): ${shortHex(a.data)}`];
    default: return hexOrTree('data', a.data);
  }
}

/**
 * Describes a command APDU: `INSTALL [for load] (CLA 80 INS E6 P1 02 P2 00, Lc 34, Le 00)` then its
 * fields (GPCS 11 per command). Commands under secure messaging (GPCS 11.1.4) keep their data in hex.
 * Given the description of the applet the command goes to, an instruction it names reads with the
 * applet's name and fields instead: `CREDIT amount 100 (CLA 80 INS 52 P1 00 P2 00, Lc 04, Le 06)`.
 */
export function describeCommand(capdu: Uint8Array, applet?: AppletDescription): string[] {
  let a: CommandApdu;
  try {
    a = parseCommandApdu(capdu);
  } catch (e) {
    return failure('command APDU', capdu, e);
  }
  try {
    const sm = isSecureMessagingClass(a.cla);
    const lcSize = a.data.length === 0 ? 0 : a.extended ? 3 : 1;
    const leSize = a.ne === undefined ? 0 : !a.extended ? 1 : a.data.length ? 2 : 3;
    let header = `CLA ${hx(a.cla)} INS ${hx(a.ins)} P1 ${hx(a.p1)} P2 ${hx(a.p2)}`;
    if (lcSize) header += `, Lc ${toHex(capdu.subarray(4, 4 + lcSize))}`;
    if (leSize) header += `, Le ${toHex(capdu.subarray(capdu.length - leSize))}`;
    const own = instructionOf(applet, a);
    if (own) {
      // Secure messaging hides the data the applet would name: keep it in hex like the card's own commands.
      const fields = sm ? undefined : namedFields(own.data, a.data, a);
      const name = `${own.name}${fields ? ` ${fields}` : ''}${sm ? ' (secure messaging)' : ''} (${header})`;
      const rest = a.data.length === 0 || fields !== undefined ? [] : [sm ? `data (${byteCount(a.data.length)}, secure messaging, not decoded): ${shortHex(a.data)}` : `data (${byteCount(a.data.length)}): ${shortHex(a.data)}`];
      return [name, ...rest.map((l) => `  ${l}`)];
    }
    const lines = [`${commandName(a.cla, a.ins, a.p1, a.p2)}${sm ? ' (secure messaging)' : ''} (${header})`, ...parameterLines(a)];
    if (a.data.length > 0) lines.push(...(sm ? [`data (${byteCount(a.data.length)}, secure messaging, not decoded): ${shortHex(a.data)}`] : dataLines(a)));
    return [lines[0]!, ...lines.slice(1).map((l) => `  ${l}`)];
  } catch (e) {
    return [...failure('command data', capdu, e)];
  }
}

function responseData(data: Uint8Array, cmd: CommandApdu | undefined, applet: AppletDescription | undefined): string[] {
  if (!cmd) return hexOrTree('data', data);
  if (isSecureMessagingClass(cmd.cla)) return [`data (${byteCount(data.length)}, secure messaging, not decoded): ${shortHex(data)}`];
  const own = instructionOf(applet, cmd);
  if (own) {
    const fields = namedFields(own.response, data, cmd);
    return [fields ?? `data (${byteCount(data.length)}): ${shortHex(data)}`];
  }
  switch (cmd.ins) {
    case INS.INITIALIZE_UPDATE:
      if (data.length < 29 || data[11] !== 0x03) return [`data (${byteCount(data.length)}): ${toHex(data)}`];
      return [`key diversification data: ${toHex(data.subarray(0, 10))}`, `key information: KVN ${hx(data[10]!)} SCP03 i=${hx(data[12]!)}`,
        `card challenge: ${toHex(data.subarray(13, 21))}`, `card cryptogram: ${toHex(data.subarray(21, 29))}`,
        ...(data.length > 29 ? [`sequence counter: ${toHex(data.subarray(29))}`] : [])];
    case INS.INSTALL: case INS.LOAD: case INS.DELETE:
      return data.length === 1 && data[0] === 0 ? ['no confirmation (00)'] : [`confirmation (${byteCount(data.length)}): ${shortHex(data)}`];
    case INS.GET_DATA: case INS.GET_DATA_ODD: {
      // With an ISO class (CLA 00) the card answers the value alone; show it under the requested tag.
      if (isGpClass(cmd.cla)) return hexOrTree('data', data);
      const tag = (cmd.p1 << 8) | cmd.p2;
      const tlv: Tlv = { tag, constructed: ((tag > 0xff ? cmd.p1 : cmd.p2) & 0x20) !== 0, value: data };
      return describeTlvTree([tlv], TREE);
    }
    case INS.GET_STATUS:
      return cmd.p2 & 0x02 ? hexOrTree('data', data) : [`data (${byteCount(data.length)}, legacy format): ${shortHex(data)}`];
    default:
      return hexOrTree('data', data);
  }
}

/**
 * Describes a response APDU: `9000 success` or `6A82 application/file not found` (reference §13),
 * then its data, decoded in the light of the command when it is given (GET DATA with CLA 00 returns
 * a bare value, INITIALIZE UPDATE fixed fields, INSTALL/LOAD/DELETE a confirmation).
 */
export function describeResponse(rapdu: Uint8Array, command?: Uint8Array, applet?: AppletDescription): string[] {
  try {
    const { data, sw } = parseResponseApdu(rapdu);
    const lines = [`${swHex(sw)} ${swMeaning(sw)}`];
    if (data.length === 0) return lines;
    let cmd: CommandApdu | undefined;
    try {
      cmd = command ? parseCommandApdu(command) : undefined;
    } catch (e) {
      if (!(e instanceof ApduError)) throw e;
    }
    return [...lines, ...responseData(data, cmd, applet).map((l) => `  ${l}`)];
  } catch (e) {
    return failure('response APDU', rapdu, e);
  }
}

/**
 * The annotation of one exchange: the command's lines, then the response's (read in the command's light),
 * both in the words of `applet` when the command goes to an applet described by its model.
 */
export function annotate(capdu: Uint8Array, rapdu: Uint8Array, applet?: AppletDescription): string[] {
  return [...describeCommand(capdu, applet), ...describeResponse(rapdu, capdu, applet)];
}


/** Named fields of an applet's data, in display order: `{ amount: 100 }` reads `amount 100`. */
export type DescribedFields = Readonly<Record<string, string | number>>;

/** What an applet's specification calls one of its instructions, and how its data reads both ways. */
export interface InstructionDescription {
  /** The name as the applet's specification prints it: `CREDIT`, `GET BALANCE`. */
  readonly name: string;
  /** Names the command data field (P1-P2 may choose its layout); data it cannot read may throw, and is then shown in hex. */
  readonly data?: (data: Uint8Array, command: CommandApdu) => DescribedFields;
  /** Names the response data (the status word apart); may throw likewise. */
  readonly response?: (data: Uint8Array, command: CommandApdu) => DescribedFields;
}

/** The vocabulary of an applet: its instructions, by INS. An INS it does not list keeps the generic annotation. */
export interface AppletDescription {
  readonly instructions: Readonly<Partial<Record<number, InstructionDescription>>>;
}

/** The applet's own description of a command sent to it; SELECT [by name] and MANAGE CHANNEL are the card's whatever is selected (GPCS 11.9, 11.7). */
function instructionOf(applet: AppletDescription | undefined, a: CommandApdu): InstructionDescription | undefined {
  if (!applet || (a.ins === INS.SELECT && a.p1 === 0x04) || a.ins === INS.MANAGE_CHANNEL) return undefined;
  return applet.instructions[a.ins];
}

/** `amount 100` or `transaction id 0102030405060708, amount 100`; undefined when there is nothing to name or the applet cannot read the data. */
function namedFields(read: InstructionDescription['data'], data: Uint8Array, a: CommandApdu): string | undefined {
  if (!read || data.length === 0) return undefined;
  try {
    const entries = Object.entries(read(data, a));
    return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : undefined;
  } catch {
    return undefined;
  }
}

/** An applet model as the annotator sees it: its class (Executable Module) AID and, if it has one, its description. */
export interface DescribedApplet {
  readonly moduleAid: Uint8Array;
  readonly describe?: AppletDescription;
}

/** Annotates a dialogue exchange by exchange, knowing which applet each command goes to. */
export interface DialogueAnnotator {
  annotate(capdu: Uint8Array, rapdu: Uint8Array): string[];
  /** A power-on or reset: every channel is back on the Issuer Security Domain. */
  reset(): void;
}

/** `n` LV fields from the start of `data` (GPCS 11.5.2.3), or undefined when they do not fit. */
function leadingLvFields(data: Uint8Array, n: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  for (let o = 0; out.length < n; ) {
    const len = data[o];
    if (len === undefined || o + 1 + len > data.length) return undefined;
    out.push(data.subarray(o + 1, o + 1 + len));
    o += 1 + len;
  }
  return out;
}

/**
 * An annotator that follows the dialogue: what SELECT [by name] last selected on each logical channel
 * (ISO 7816-4 §5.4.1, channel from the class byte), and which instance INSTALL [for install] made of
 * which class (its Application AID and Executable Module AID, GPCS 11.5.2.3); a command to an instance
 * of a described applet reads in the applet's words. Without its INSTALL in the dialogue (an older install,
 * or one under C-DECRYPTION) an instance is known by its class AID, or by an AID that extends it (class
 * AID ‖ instance suffix, as cardlab's issuer and suite name instances: F0434152444C01 → F0434152444C0101).
 * A SELECT by a partial AID finds the instance whose AID begins with it (ISO 7816-4 §7.1.1). Anything else
 * reads as `annotate()` has it.
 */
export function createDialogueAnnotator(applets: readonly DescribedApplet[]): DialogueAnnotator {
  const described = applets.filter((applet) => applet.describe);
  const instances = described.map((applet) => ({ aid: applet.moduleAid, applet }));
  const selected = new Map<number, DescribedApplet | undefined>();
  const startsWith = (aid: Uint8Array, prefix: Uint8Array) => prefix.length > 0 && prefix.length <= aid.length && equalBytes(aid.subarray(0, prefix.length), prefix);
  const find = (name: Uint8Array) =>
    (instances.find((i) => equalBytes(i.aid, name)) ?? instances.find((i) => startsWith(i.aid, name)) ?? instances.find((i) => startsWith(name, i.applet.moduleAid)))?.applet;
  const follow = (a: CommandApdu, sw: number) => {
    // 61xx, 62xx and 63xx answer a command that was carried out (ISO 7816-4 §5.6: normal processing, warnings).
    if (![0x90, 0x61, 0x62, 0x63].includes(sw >> 8)) return;
    const channel = logicalChannel(a.cla);
    if (a.ins === INS.SELECT && a.p1 === 0x04) selected.set(channel, find(a.data));
    else if (a.ins === INS.MANAGE_CHANNEL && a.p1 & 0x80) selected.delete(a.p2);
    else if (a.ins === INS.INSTALL && a.p1 & 0x04 && !(a.p1 & 0x80)) {
      const [, moduleAid, applicationAid] = leadingLvFields(a.data, 3) ?? [];
      const applet = moduleAid && described.find((d) => equalBytes(d.moduleAid, moduleAid));
      if (applet && applicationAid?.length) instances.unshift({ aid: applicationAid.slice(), applet });
    }
  };
  return {
    annotate(capdu, rapdu) {
      let a: CommandApdu;
      try {
        a = parseCommandApdu(capdu);
      } catch {
        return annotate(capdu, rapdu);
      }
      const lines = annotate(capdu, rapdu, selected.get(logicalChannel(a.cla))?.describe);
      if (rapdu.length >= 2) follow(a, (rapdu[rapdu.length - 2]! << 8) | rapdu[rapdu.length - 1]!);
      return lines;
    },
    reset() {
      selected.clear();
    },
  };
}
