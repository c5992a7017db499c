import type { CardEvent } from '../../simulator/index.ts';
import { SW, buildCommandApdu } from '../../protocol/apdu/index.ts';
import { buildDelete, buildGetStatus, buildSelect, buildSetCardStatus } from '../../protocol/gp/commands/index.ts';
import { CARD_LIFE_CYCLE } from '../../protocol/gp/data/index.ts';
import { channelState, CHANNELS, type Channel, type ConformState } from './conform-model.ts';
import { onChannel, type ConformWorld, type StepEffect } from './host-steps.ts';

/**
 * A command the card must refuse in the state reached: the machine event it would be (which the machine
 * refuses: `snapshot.can(event)` is false), its bytes, the status word, and the events the refusal itself
 * causes (a refused LOAD ends the load).
 */
export interface NegativeStep {
  type: 'negative';
  name: string;
  channel: Channel;
  /** The machine event this command asks for; undefined for a refusal the registry decides (not the machine). */
  refused: CardEvent | undefined;
  bytes: Uint8Array;
  /** Sent inside the channel's authenticated session (wrapped). */
  secured: boolean;
  effect: StepEffect;
}

/** Every refusal that applies in state `s`, at most one of each kind. */
export function negativeSteps(w: ConformWorld, s: ConformState): NegativeStep[] {
  if (!s.card.hasTag('powered')) return [];
  const out: NegativeStep[] = [];
  const terminated = s.card.context.lifeCycle === CARD_LIFE_CYCLE.TERMINATED;
  const none = (sw: number, events: CardEvent[] = []): StepEffect => ({ events, sw });
  for (const n of CHANNELS) {
    const c = channelState(s.card, n);
    if (!c.open) {
      // ISO 7816-4 §5.1.1.2: a command on a logical channel that is not open is 6881.
      out.push({ type: 'negative', name: `SELECT on closed channel ${n}`, channel: n, refused: { type: 'SELECT_ISD', channel: n, aid: w.isdAid }, bytes: onChannel(buildSelect(w.isdAid), n), secured: false, effect: none(SW.LOGICAL_CHANNEL_NOT_SUPPORTED) });
      continue;
    }
    if (c.collecting || c.pending || !c.isd) continue;
    if (terminated) {
      // GPCS 5.1.1.5: a TERMINATED card answers GET DATA only. The card decides this by its `only.get-data` tag: the
      // machine itself still accepts SELECT_ISD in TERMINATED, so no refused event is named.
      out.push({ type: 'negative', name: `SELECT in TERMINATED on channel ${n}`, channel: n, refused: undefined, bytes: onChannel(buildSelect(w.isdAid), n), secured: false, effect: none(SW.FUNCTION_NOT_SUPPORTED) });
      continue;
    }
    if (c.scp === 'idle') {
      // AMD-D 7.1.2: EXTERNAL AUTHENTICATE only follows INITIALIZE UPDATE (6985).
      const ea = buildCommandApdu({ cla: 0x84, ins: 0x82, p1: 0x01, p2: 0x00, data: new Uint8Array(16) });
      out.push({ type: 'negative', name: `EXTERNAL AUTHENTICATE without INITIALIZE UPDATE on channel ${n}`, channel: n, refused: { type: 'EXTERNAL_AUTHENTICATE', channel: n, level: 1 }, bytes: onChannel(ea, n), secured: false, effect: none(SW.CONDITIONS_NOT_SATISFIED) });
      // ISO 7816-4 §5.3.4: GET RESPONSE with nothing waiting.
      const gr = buildCommandApdu({ cla: 0x00, ins: 0xc0, p1: 0x00, p2: 0x00, ne: 256 });
      out.push({ type: 'negative', name: `GET RESPONSE with no response waiting on channel ${n}`, channel: n, refused: { type: 'GET_RESPONSE', channel: n, rest: undefined }, bytes: onChannel(gr, n), secured: false, effect: none(SW.CONDITIONS_NOT_SATISFIED) });
    }
    if (c.scp !== 'authenticated') continue;
    const managing = s.card.hasTag('may.manage');
    const load = s.card.context.channels[n]!.load;
    const block = (p2: number) => buildCommandApdu({ cla: 0x80, ins: 0xe8, p1: 0x00, p2, data: Uint8Array.of(0xc4, 0x01, 0x00) });
    if (managing && !load) {
      // GPCS 11.6.2: LOAD only after INSTALL [for load] (6985).
      out.push({ type: 'negative', name: `LOAD without INSTALL [for load] on channel ${n}`, channel: n, refused: { type: 'LOAD_BLOCK', channel: n, block: 0, last: false, data: new Uint8Array(0) }, bytes: onChannel(block(0), n), secured: true, effect: none(SW.CONDITIONS_NOT_SATISFIED) });
    }
    if (managing && load) {
      // GPCS 11.6.2.2: blocks are numbered in sequence; a gap ends the load (6985).
      const p2 = load.nextBlock + 1;
      out.push({ type: 'negative', name: `LOAD block out of sequence on channel ${n}`, channel: n, refused: { type: 'LOAD_BLOCK', channel: n, block: p2, last: false, data: new Uint8Array(0) }, bytes: onChannel(block(p2), n), secured: true, effect: none(SW.CONDITIONS_NOT_SATISFIED, [{ type: 'LOAD_ENDED', channel: n }]) });
    }
    if (!c.paging) {
      // GPCS 11.4.2.2: a "next" GET STATUS continues only a GET STATUS answered 6310 (6985).
      const next = buildGetStatus({ subset: 0x20, next: true });
      out.push({ type: 'negative', name: `GET STATUS next without a paging on channel ${n}`, channel: n, refused: { type: 'GET_STATUS_NEXT', channel: n, p1: 0x20, criteria: 'load files', cursor: undefined }, bytes: onChannel(next, n), secured: true, effect: none(SW.CONDITIONS_NOT_SATISFIED) });
    }
    if (managing && s.content.elfs.includes('lib') && s.content.elfs.includes('app')) {
      // GPCS 11.2.2.3: an ELF another ELF imports is not deleted, with or without related objects (6985).
      out.push({ type: 'negative', name: `DELETE of a package another package imports on channel ${n}`, channel: n, refused: undefined, bytes: onChannel(buildDelete(w.material.lib.packageAid, { related: true }), n), secured: true, effect: none(SW.CONDITIONS_NOT_SATISFIED, load ? [{ type: 'LOAD_ENDED', channel: n }] : []) });
    }
    if (n === 0) {
      // GPCS 5.1: a transition to the current life cycle state is not one of the legal ones (6985).
      const to = s.card.context.lifeCycle;
      out.push({ type: 'negative', name: 'SET STATUS to the current card life cycle state', channel: 0, refused: { type: 'SET_CARD_LIFE_CYCLE', to }, bytes: buildSetCardStatus(to), secured: true, effect: none(SW.CONDITIONS_NOT_SATISFIED) });
    }
  }
  return out;
}
