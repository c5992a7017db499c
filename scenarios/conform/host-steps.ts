import type { CardEvent } from '../../simulator/index.ts';
import { equalBytes } from '../../protocol/bytes.ts';
import { SW } from '../../protocol/apdu/index.ts';
import { buildCommandApdu } from '../../protocol/apdu/index.ts';
import { buildDelete, buildGetData, buildGetStatus, buildInstallForInstall, buildInstallForLoad, buildSelect, buildSetCardStatus } from '../../protocol/gp/commands/index.ts';
import { CARD_LIFE_CYCLE, cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import { channelState, type Channel, type ConformState, type ContentModel, type InstanceName, type LoadFileName } from './conform-model.ts';
import type { LoadMaterial } from './load-material.ts';

/**
 * The host's steps: one thing a terminal does (an APDU, or power), each with the machine events it makes
 * the card take. Internal events (STORE_RECOVERED, TX_*, RESPONSE_PENDING, …) never appear as steps:
 * they are what a step implies (power-up → POWER_ON, STORE_RECOVERED; INSTALL [for install] → TX_BEGIN,
 * TX_COMMIT; a command without Le whose answer has data → RESPONSE_PENDING).
 */
export type HostStep =
  | { type: 'power.on' }
  | { type: 'power.off' }
  | { type: 'power.reset' }
  | { type: 'select.isd'; channel: Channel }
  | { type: 'select.app'; channel: Channel }
  | { type: 'scp.initialize'; channel: Channel }
  | { type: 'scp.authenticate'; channel: Channel }
  | { type: 'scp.interrupt'; channel: Channel }
  | { type: 'lifeCycle.set'; to: number }
  | { type: 'channel.open'; channel: Channel; from: Channel }
  | { type: 'channel.close'; channel: Channel }
  | { type: 'content.installForLoad'; channel: Channel; file: LoadFileName }
  | { type: 'content.load'; channel: Channel }
  | { type: 'content.install'; channel: Channel; faulty: boolean }
  | { type: 'content.delete'; channel: Channel; target: LoadFileName | InstanceName }
  | { type: 'chain.part'; channel: Channel }
  | { type: 'chain.last'; channel: Channel }
  | { type: 'chain.break'; channel: Channel }
  | { type: 'status.page'; channel: Channel }
  | { type: 'status.all'; channel: Channel }
  | { type: 'status.next'; channel: Channel }
  | { type: 'response.leave'; channel: Channel }
  | { type: 'response.get'; channel: Channel; le: number }
  | { type: 'response.drop'; channel: Channel };

/** What the host sends for a step: power, the SCP03 handshake (built by the host session), or a plain C-APDU. */
export type Sent =
  | { kind: 'power'; what: 'on' | 'off' | 'reset' }
  | { kind: 'initialize-update' }
  | { kind: 'external-authenticate'; level: number }
  | { kind: 'apdu'; bytes: Uint8Array };

/** A step's effect as the model predicts it: the machine events, the status word, the content afterwards. */
export interface StepEffect {
  events: CardEvent[];
  /** Expected status word; undefined for power steps (the ATR is the answer). */
  sw: number | undefined;
  content?: ContentModel;
}

/** What the suite knows about the card it walks: the ISD, the Load Files, how GET STATUS pages. */
export interface ConformWorld {
  isdAid: Uint8Array;
  material: LoadMaterial;
  /** Entries GET STATUS P1 20 lists before anything is loaded (the card's ROM packages). */
  loadFileEntries: number;
  /** Pseudo-random card challenges (i b5): INITIALIZE UPDATE persists the sequence counter first (AMD-D 6.2.2.1). */
  sequenceCounter: boolean;
}

/** The security level of every session the suite opens: C-MAC (AMD-D Table 7-3), the content level of the card. */
export const LEVEL = 0x01;
/** Le of a paging GET STATUS: one load-file entry per page (GPCS 11.4.2.2), so the card answers 6310. */
export const PAGE_LE = 0x20;
/** GET DATA CPLC (9F7F) answers 45 bytes; without Le the card keeps them for GET RESPONSE (61 2D, ISO 7816-4 §5.3.4). */
const CPLC_LENGTH = 0x2d;
/** Bytes signed in one chained PERFORM SECURITY OPERATION part; at most two parts are collected. */
const CHAIN_PART = 16;
/** The loyalty instance: the applet's own AID. */
export const INSTANCE_AID = (m: LoadMaterial): Uint8Array => m.lib.appletAid;
const FAULTY_PARAMETERS = Uint8Array.of(0x00, 0x01);

/** CLA with logical channel n in b2–b1 (first interindustry coding, ISO 7816-4 §5.4.1; GPCS 11.1.4). */
export function onChannel(bytes: Uint8Array, n: Channel): Uint8Array {
  const out = bytes.slice();
  out[0] = (out[0]! & ~0x03) | n;
  return out;
}

/** The events every command on channel n causes before its handler (ISO 7816-4 §5.3.4 response dropped; AMD-D 5.6 half-open session ended). */
function preamble(s: ConformState, n: Channel, ins: 'other' | 'external-authenticate' | 'initialize-update'): CardEvent[] {
  const c = channelState(s.card, n);
  const events: CardEvent[] = [];
  if (c.pending) events.push({ type: 'RESPONSE_DROPPED', channel: n });
  // INITIALIZE UPDATE restarts a half-open session itself: its own event leaves it.
  if (c.scp === 'initiated' && ins === 'other') events.push({ type: 'SECURE_CHANNEL_ABORTED', channel: n });
  return events;
}

/** One write to persistent memory outside a transaction, atomic on its own (an implicit transaction). */
const PERSIST: CardEvent[] = [{ type: 'TX_ATOMIC' }];
const lc = (s: ConformState) => s.card.context.lifeCycle;
const isLocked = (s: ConformState) => lc(s) === CARD_LIFE_CYCLE.CARD_LOCKED;
const isTerminated = (s: ConformState) => lc(s) === CARD_LIFE_CYCLE.TERMINATED;

/** A command of the ISD on channel n: open, ISD selected, no chain collecting, not TERMINATED (only GET DATA, GPCS 5.1.1.5). */
function isdCommand(s: ConformState, n: Channel): boolean {
  const c = channelState(s.card, n);
  return s.card.hasTag('powered') && c.open && c.isd && !c.collecting && !isTerminated(s);
}

function loadFile(m: LoadMaterial, name: LoadFileName) {
  return name === 'lib' ? m.lib : m.app;
}

/** The Load File a load in progress is for, by its AID. */
function loadFileOf(m: LoadMaterial, aid: Uint8Array) {
  return equalBytes(aid, m.lib.packageAid) ? m.lib : m.app;
}

/**
 * The one table: for each host step, the machine events it causes in state `s`, the status word, and
 * the content afterwards; undefined where the suite does not offer the step (the walk then never takes it).
 */
export function stepEffect(w: ConformWorld, s: ConformState, step: HostStep): StepEffect | undefined {
  const powered = s.card.hasTag('powered');
  const recovered: CardEvent = { type: 'STORE_RECOVERED', lifeCycle: lc(s) };
  switch (step.type) {
    case 'power.on':
      return powered ? undefined : { events: [{ type: 'POWER_ON' }, recovered], sw: undefined };
    case 'power.off':
      return powered ? { events: [{ type: 'POWER_OFF' }], sw: undefined } : undefined;
    case 'power.reset':
      return powered ? { events: [{ type: 'RESET' }, recovered], sw: undefined } : undefined;
    case 'lifeCycle.set': {
      if (!isdCommand(s, 0) || channelState(s.card, 0).scp !== 'authenticated') return undefined;
      // The new state is persisted (one atomic write) before the machine moves (GPCS 11.10.2.1).
      return { events: [...preamble(s, 0, 'other'), ...PERSIST, { type: 'SET_CARD_LIFE_CYCLE', to: step.to }], sw: SW.SUCCESS };
    }
  }
  if (step.type === 'channel.open') return openChannelEffect(w, s, step);
  const n = step.channel;
  if (!powered || !channelState(s.card, n).open) return undefined;
  const c = channelState(s.card, n);
  const pre = preamble(s, n, step.type === 'scp.authenticate' ? 'external-authenticate' : step.type === 'scp.initialize' ? 'initialize-update' : 'other');
  const m = w.material;
  switch (step.type) {
    case 'select.isd': {
      if (c.collecting || isTerminated(s)) return undefined;
      // Selecting the ISD again with nothing in progress changes nothing (GPCS 11.9.2.1).
      const unchanged = c.isd && c.scp === 'idle' && !c.paging && !c.loading;
      return { events: [...pre, ...(unchanged ? [] : [{ type: 'SELECT_ISD', channel: n, aid: w.isdAid } as const])], sw: isLocked(s) ? SW.CARD_LOCKED_WARNING : SW.SUCCESS };
    }
    case 'select.app':
      if (c.collecting || isTerminated(s) || !s.content.apps.includes('loyalty')) return undefined;
      return { events: [...pre, { type: 'SELECT_APPLICATION', channel: n, aid: INSTANCE_AID(m) }], sw: SW.SUCCESS };
    case 'scp.initialize':
      if (!isdCommand(s, n)) return undefined;
      // INITIALIZE UPDATE ends the session it finds (AMD-D 7.1.1): the new session's event leaves it; a
      // half-open one the preamble ended.
      return {
        // With pseudo-random challenges the counter write comes with the command's own event (AMD-D 6.2.2.1).
        events: [...pre, { type: 'INITIALIZE_UPDATE', channel: n, ...(w.sequenceCounter ? { persists: true } : {}) }],
        sw: SW.SUCCESS,
      };
    case 'scp.authenticate':
      if (!isdCommand(s, n) || c.scp !== 'initiated' || c.pending) return undefined;
      return { events: [{ type: 'EXTERNAL_AUTHENTICATE', channel: n, level: LEVEL }], sw: SW.SUCCESS };
    case 'scp.interrupt':
      // Any command but EXTERNAL AUTHENTICATE ends a half-open session (AMD-D 5.6); GET DATA itself is answered.
      if (!isdCommand(s, n) || c.scp !== 'initiated') return undefined;
      return { events: pre, sw: SW.SUCCESS };
    default:
      return contentAndPagingEffect(w, s, step, pre);
  }
}

function contentAndPagingEffect(w: ConformWorld, s: ConformState, step: Exclude<HostStep, { type: 'power.on' | 'power.off' | 'power.reset' | 'lifeCycle.set' }>, pre: CardEvent[]): StepEffect | undefined {
  const n = step.channel;
  const c = channelState(s.card, n);
  const m = w.material;
  const session = isdCommand(s, n) && c.scp === 'authenticated';
  const endLoad: CardEvent[] = c.loading ? [{ type: 'LOAD_ENDED', channel: n }] : [];
  const tx = (end: 'TX_COMMIT' | 'TX_ABORT'): CardEvent[] => [{ type: 'TX_BEGIN' }, { type: end }];
  switch (step.type) {
    case 'content.installForLoad': {
      const other = step.file === 'lib' ? 'app' : 'lib';
      if (!session || s.content.elfs.includes(step.file) || (step.file === 'app' && !s.content.elfs.includes(other))) return undefined;
      if (anyChannelLoading(s)) return undefined;
      const f = loadFile(m, step.file);
      const load = { loadFileAid: f.packageAid, sdAid: w.isdAid, lfdbHash: undefined, declaredSize: 0, nextBlock: 0, blocks: [], size: 0 };
      return { events: [...pre, ...endLoad, { type: 'INSTALL_FOR_LOAD', channel: n, load }], sw: SW.SUCCESS };
    }
    case 'content.load': {
      const load = s.card.context.channels[n]!.load;
      if (!session || !load) return undefined;
      const f = loadFileOf(m, load.loadFileAid);
      const last = load.nextBlock === f.blocks.length - 1;
      const block: CardEvent = { type: 'LOAD_BLOCK', channel: n, block: load.nextBlock, last, data: new Uint8Array(0) };
      if (!last) return { events: [...pre, block], sw: SW.SUCCESS };
      return { events: [...pre, block, ...tx('TX_COMMIT')], sw: SW.SUCCESS, content: { ...s.content, elfs: [...s.content.elfs, f.name] } };
    }
    case 'content.install': {
      if (!session || !s.content.elfs.includes('lib') || s.content.apps.includes('loyalty')) return undefined;
      // The loyalty applet's install() refuses parameters that are not a 4-byte maximum balance: the transaction is aborted (GPCS 11.5.2.3).
      if (step.faulty) return { events: [...pre, ...endLoad, ...tx('TX_ABORT')], sw: SW.INCORRECT_DATA };
      return { events: [...pre, ...endLoad, ...tx('TX_COMMIT')], sw: SW.SUCCESS, content: { ...s.content, apps: ['loyalty'] } };
    }
    case 'content.delete': {
      if (!session) return undefined;
      const t = step.target;
      if (t === 'loyalty') {
        if (!s.content.apps.includes('loyalty')) return undefined;
        return { events: [...pre, ...endLoad, ...tx('TX_COMMIT')], sw: SW.SUCCESS, content: { ...s.content, apps: [] } };
      }
      // An ELF another loaded ELF imports is not deleted (GPCS 11.2.2.3): that refusal is a negative step.
      if (!s.content.elfs.includes(t) || (t === 'lib' && s.content.elfs.includes('app'))) return undefined;
      const apps = t === 'lib' ? [] : s.content.apps;
      return { events: [...pre, ...endLoad, ...tx('TX_COMMIT')], sw: SW.SUCCESS, content: { elfs: s.content.elfs.filter((e) => e !== t), apps } };
    }
    case 'chain.part': {
      // PERFORM SECURITY OPERATION needs no session; inside one it would have to be wrapped (ISO 7816-4 §5.3.3 chaining, plain here).
      if (!c.isd || c.scp !== 'idle' || isTerminated(s) || (s.card.context.channels[n]!.chain?.size ?? 0) >= 2 * CHAIN_PART) return undefined;
      return { events: [...pre, { type: 'CHAIN_PART', channel: n, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: new Uint8Array(CHAIN_PART) }], sw: SW.SUCCESS };
    }
    case 'chain.last':
      if (!c.collecting) return undefined;
      return { events: [...pre, { type: 'CHAIN_PART', channel: n, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: new Uint8Array(CHAIN_PART) }, { type: 'CHAIN_LAST', channel: n }], sw: SW.SUCCESS };
    case 'chain.break':
      // Another command inside a chain: 6883, last command of the chain expected (ISO 7816-4 §5.3.3).
      if (!c.collecting) return undefined;
      return { events: [...pre, { type: 'CHAIN_BROKEN', channel: n }], sw: SW.LAST_COMMAND_EXPECTED };
    case 'status.page': {
      if (!session || c.pending || w.loadFileEntries + s.content.elfs.length < 2) return undefined;
      const cursor = { p1: 0x20, criteria: 'load files', next: 1 };
      return { events: [...pre, { type: 'GET_STATUS_MORE', channel: n, cursor }], sw: SW.MORE_DATA_AVAILABLE };
    }
    case 'status.all':
      if (!session || !c.paging) return undefined;
      return { events: [...pre, { type: 'GET_STATUS_ENDED', channel: n }], sw: SW.SUCCESS };
    case 'status.next': {
      const cursor = s.card.context.channels[n]!.statusCursor;
      if (!session || !cursor) return undefined;
      const more = cursor.next + 1 < w.loadFileEntries + s.content.elfs.length;
      const next = more ? { ...cursor, next: cursor.next + 1 } : undefined;
      return { events: [...pre, { type: 'GET_STATUS_NEXT', channel: n, p1: 0x20, criteria: 'load files', cursor: next }], sw: more ? SW.MORE_DATA_AVAILABLE : SW.SUCCESS };
    }
    case 'response.leave':
      if (!isdCommand(s, n) || c.scp !== 'idle') return undefined;
      return { events: [...pre, { type: 'RESPONSE_PENDING', channel: n, bytes: new Uint8Array(CPLC_LENGTH + 2) }], sw: 0x6100 | CPLC_LENGTH };
    case 'response.get': {
      const pending = s.card.context.channels[n]!.pending;
      if (!pending) return undefined;
      const left = pending.length - 2;
      const ne = step.le === 0 ? 256 : step.le;
      if (ne >= left) return { events: [{ type: 'GET_RESPONSE', channel: n, rest: undefined }], sw: SW.SUCCESS };
      return { events: [{ type: 'GET_RESPONSE', channel: n, rest: new Uint8Array(left - ne + 2) }], sw: 0x6100 | Math.min(left - ne, 0xff) };
    }
    case 'response.drop':
      if (!c.pending || !isdCommand(s, n) || c.scp !== 'idle') return undefined;
      return { events: pre, sw: SW.SUCCESS };
    case 'channel.close':
      if (n === 0 || !channelState(s.card, 0).open || channelState(s.card, 0).collecting || isTerminated(s)) return undefined;
      return { events: [...preamble(s, 0, 'other'), { type: 'MANAGE_CHANNEL_CLOSE', channel: n }], sw: SW.SUCCESS };
    default:
      return undefined;
  }
}

/** One load at a time on the card: the suite never interleaves two (the card would allow it, per channel). */
function anyChannelLoading(s: ConformState): boolean {
  return s.card.context.channels.some((c) => c.load !== undefined);
}

/** MANAGE CHANNEL open (ISO 7816-4 §11.1.2, GPCS 11.7.2): sent on `from`, the new channel selects what `from` has selected (the ISD from the basic channel). */
export function openChannelEffect(w: ConformWorld, s: ConformState, step: Extract<HostStep, { type: 'channel.open' }>): StepEffect | undefined {
  const n = step.channel;
  if (!s.card.hasTag('powered') || n === 0 || step.from === n) return undefined;
  const target = channelState(s.card, n);
  const from = channelState(s.card, step.from);
  if (target.open || !from.open || from.collecting || isLocked(s) || isTerminated(s)) return undefined;
  const application = step.from !== 0 && !from.isd;
  const selected = application ? INSTANCE_AID(w.material) : w.isdAid;
  return { events: [...preamble(s, step.from, 'other'), { type: 'MANAGE_CHANNEL_OPEN', channel: n, selected, application }], sw: SW.SUCCESS };
}

/** The step's title in reports: the command's name as the specification prints it, and its channel. */
export function stepTitle(step: HostStep): string {
  const on = 'channel' in step ? ` on channel ${step.channel}` : '';
  switch (step.type) {
    case 'power.on': return 'power-up (cold reset)';
    case 'power.off': return 'power-off';
    case 'power.reset': return 'warm reset';
    case 'select.isd': return `SELECT the ISD${on}`;
    case 'select.app': return `SELECT the loyalty instance${on}`;
    case 'scp.initialize': return `INITIALIZE UPDATE${on}`;
    case 'scp.authenticate': return `EXTERNAL AUTHENTICATE (level ${LEVEL.toString(16).padStart(2, '0')})${on}`;
    case 'scp.interrupt': return `GET DATA 66 between INITIALIZE UPDATE and EXTERNAL AUTHENTICATE${on}`;
    case 'lifeCycle.set': return `SET STATUS card life cycle → ${cardLifeCycleName(step.to)}`;
    case 'channel.open': return `MANAGE CHANNEL open ${step.channel} (sent on channel ${step.from})`;
    case 'channel.close': return `MANAGE CHANNEL close ${step.channel}`;
    case 'content.installForLoad': return `INSTALL [for load] of the ${step.file === 'lib' ? 'loyalty' : 'importing echo'} package${on}`;
    case 'content.load': return `LOAD block${on}`;
    case 'content.install': return `INSTALL [for install and make selectable] of the loyalty applet${step.faulty ? ' with parameters its install() refuses' : ''}${on}`;
    case 'content.delete': return `DELETE the ${step.target === 'loyalty' ? 'loyalty instance' : step.target === 'lib' ? 'loyalty package and related objects' : 'echo package'}${on}`;
    case 'chain.part': return `PERFORM SECURITY OPERATION, chained part${on}`;
    case 'chain.last': return `PERFORM SECURITY OPERATION, last part of the chain${on}`;
    case 'chain.break': return `GET DATA 66 inside a command chain${on}`;
    case 'status.page': return `GET STATUS load files, Le ${PAGE_LE.toString(16).toUpperCase()}${on}`;
    case 'status.all': return `GET STATUS load files, all at once${on}`;
    case 'status.next': return `GET STATUS next occurrence${on}`;
    case 'response.leave': return `GET DATA 9F7F without Le${on}`;
    case 'response.get': return `GET RESPONSE Le ${step.le.toString(16).padStart(2, '0').toUpperCase()}${on}`;
    case 'response.drop': return `GET DATA 66 while a response waits${on}`;
  }
}

/** What the host sends for a step in state `s` (plain; the runner wraps it when the channel's session needs it). */
export function stepCommand(w: ConformWorld, s: ConformState, step: HostStep): Sent {
  const m = w.material;
  const apdu = (bytes: Uint8Array, n: Channel): Sent => ({ kind: 'apdu', bytes: onChannel(bytes, n) });
  switch (step.type) {
    case 'power.on': return { kind: 'power', what: 'on' };
    case 'power.off': return { kind: 'power', what: 'off' };
    case 'power.reset': return { kind: 'power', what: 'reset' };
    case 'lifeCycle.set': return apdu(buildSetCardStatus(step.to), 0);
    case 'select.isd': return apdu(buildSelect(w.isdAid), step.channel);
    case 'select.app': return apdu(buildSelect(INSTANCE_AID(m)), step.channel);
    case 'scp.initialize': return { kind: 'initialize-update' };
    case 'scp.authenticate': return { kind: 'external-authenticate', level: LEVEL };
    case 'scp.interrupt':
    case 'chain.break':
    case 'response.drop':
      return apdu(buildGetData(0x66), step.channel);
    case 'channel.open': return apdu(buildCommandApdu({ cla: 0x00, ins: 0x70, p1: 0x00, p2: step.channel }), step.from);
    case 'channel.close': return apdu(buildCommandApdu({ cla: 0x00, ins: 0x70, p1: 0x80, p2: step.channel }), 0);
    case 'content.installForLoad': return apdu(buildInstallForLoad({ loadFileAid: loadFile(m, step.file).packageAid }), step.channel);
    case 'content.load': {
      const load = s.card.context.channels[step.channel]!.load!;
      const f = loadFileOf(m, load.loadFileAid);
      return apdu(f.blocks[load.nextBlock]!, step.channel);
    }
    case 'content.install':
      return apdu(buildInstallForInstall({ loadFileAid: m.lib.packageAid, moduleAid: m.lib.appletAid, instanceAid: INSTANCE_AID(m), makeSelectable: true, ...(step.faulty ? { applicationParameters: FAULTY_PARAMETERS } : {}) }), step.channel);
    case 'content.delete': {
      const aid = step.target === 'loyalty' ? INSTANCE_AID(m) : loadFile(m, step.target).packageAid;
      return apdu(buildDelete(aid, { related: step.target === 'lib' }), step.channel);
    }
    case 'chain.part': return apdu(buildCommandApdu({ cla: 0x10, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: new Uint8Array(CHAIN_PART).fill(0xc4) }), step.channel);
    case 'chain.last': return apdu(buildCommandApdu({ cla: 0x00, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: new Uint8Array(CHAIN_PART).fill(0xc4), ne: 256 }), step.channel);
    case 'status.page': {
      const bytes = buildGetStatus({ subset: 0x20 });
      bytes[bytes.length - 1] = PAGE_LE;
      return apdu(bytes, step.channel);
    }
    case 'status.all': return apdu(buildGetStatus({ subset: 0x20 }), step.channel);
    case 'status.next': {
      const bytes = buildGetStatus({ subset: 0x20, next: true });
      bytes[bytes.length - 1] = PAGE_LE;
      return apdu(bytes, step.channel);
    }
    case 'response.leave': return apdu(buildCommandApdu({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f }), step.channel);
    case 'response.get': return apdu(buildCommandApdu({ cla: 0x00, ins: 0xc0, p1: 0x00, p2: 0x00, ne: step.le === 0 ? 256 : step.le }), step.channel);
  }
}
