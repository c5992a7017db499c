import { describe, it, expect } from 'vitest';
import { createActor } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { CARD_LIFE_CYCLE } from '../protocol/gp/data/index.ts';
import { buildInstallForInstall, buildSelect } from '../protocol/gp/commands/index.ts';
import { cardMachine } from './card-machine.ts';
import type { CardEvent } from './card-setup.ts';
import { createCard, ECHO_APPLET_AID, ECHO_PACKAGE_AID } from './index.ts';
import { cardWithEchoPackage, swOf } from '../test/support/card-host.ts';

const ISD = fromHex('A000000151000000');
const LOAD = { loadFileAid: fromHex('A00000006203010C01'), sdAid: ISD, lfdbHash: undefined, declaredSize: 0, nextBlock: 0, blocks: [], size: 0 };

/** A machine powered up with the store recovered and the given card life cycle. */
function machine(lifeCycle: number = CARD_LIFE_CYCLE.SECURED) {
  const actor = createActor(cardMachine, { input: { lifeCycle, isdAid: ISD } });
  actor.start();
  actor.send({ type: 'POWER_ON' });
  actor.send({ type: 'STORE_RECOVERED', lifeCycle });
  return actor;
}

describe('the card machine decides legality itself (guards inside the machine)', () => {
  it('refuses EXTERNAL AUTHENTICATE without INITIALIZE UPDATE, in every life cycle, TERMINATED included', () => {
    for (const lc of Object.values(CARD_LIFE_CYCLE)) {
      const actor = machine(lc);
      const auth: CardEvent = { type: 'EXTERNAL_AUTHENTICATE', channel: 0, level: 0x03 };
      expect(actor.getSnapshot().can(auth)).toBe(false);
      actor.send(auth);
      expect(actor.getSnapshot().hasTag('ch0.scp.authenticated')).toBe(false);
    }
  });

  it('refuses INITIALIZE UPDATE in TERMINATED and on a channel where an application is selected', () => {
    expect(machine(CARD_LIFE_CYCLE.TERMINATED).getSnapshot().can({ type: 'INITIALIZE_UPDATE', channel: 0 })).toBe(false);
    const actor = machine();
    actor.send({ type: 'SELECT_APPLICATION', channel: 0, aid: fromHex('A0000000620301') });
    expect(actor.getSnapshot().can({ type: 'INITIALIZE_UPDATE', channel: 0 })).toBe(false);
  });

  it('authorises a load only in an authenticated session of the ISD and a life cycle allowing content changes', () => {
    const actor = machine();
    const authorise: CardEvent = { type: 'INSTALL_FOR_LOAD', channel: 0, load: LOAD };
    expect(actor.getSnapshot().can(authorise)).toBe(false);
    actor.send({ type: 'INITIALIZE_UPDATE', channel: 0 });
    expect(actor.getSnapshot().can(authorise)).toBe(false);
    actor.send({ type: 'EXTERNAL_AUTHENTICATE', channel: 0, level: 0x00 });
    expect(actor.getSnapshot().can(authorise)).toBe(true);
    expect(actor.getSnapshot().can({ ...authorise, channel: 1 })).toBe(false);
    const locked = machine(CARD_LIFE_CYCLE.CARD_LOCKED);
    locked.send({ type: 'INITIALIZE_UPDATE', channel: 0 });
    locked.send({ type: 'EXTERNAL_AUTHENTICATE', channel: 0, level: 0x01 });
    expect(locked.getSnapshot().hasTag('ch0.scp.authenticated')).toBe(true);
    expect(locked.getSnapshot().can(authorise)).toBe(false);
  });

  it('takes LOAD blocks 00, 01, … strictly in sequence and goes idle at the last one', () => {
    const actor = machine();
    actor.send({ type: 'INITIALIZE_UPDATE', channel: 0 });
    actor.send({ type: 'EXTERNAL_AUTHENTICATE', channel: 0, level: 0x01 });
    const block = (n: number, last = false): CardEvent => ({ type: 'LOAD_BLOCK', channel: 0, block: n, last, data: Uint8Array.of(n) });
    expect(actor.getSnapshot().can(block(0))).toBe(false);
    actor.send({ type: 'INSTALL_FOR_LOAD', channel: 0, load: LOAD });
    expect(actor.getSnapshot().can(block(1))).toBe(false);
    actor.send(block(0));
    expect(actor.getSnapshot().hasTag('ch0.load.receiving')).toBe(true);
    expect(actor.getSnapshot().can(block(0))).toBe(false);
    actor.send(block(1, true));
    expect(actor.getSnapshot().hasTag('ch0.load.receiving')).toBe(false);
    expect(actor.getSnapshot().context.channels[0]!.load).toBeUndefined();
  });

  it('holds the life cycle once: in the context it restores from memory, and the state follows it', () => {
    const actor = machine(CARD_LIFE_CYCLE.SECURED);
    expect(actor.getSnapshot().can({ type: 'SET_CARD_LIFE_CYCLE', to: CARD_LIFE_CYCLE.INITIALIZED })).toBe(false);
    actor.send({ type: 'SET_CARD_LIFE_CYCLE', to: CARD_LIFE_CYCLE.CARD_LOCKED });
    expect([actor.getSnapshot().context.lifeCycle, actor.getSnapshot().hasTag('locked')]).toEqual([CARD_LIFE_CYCLE.CARD_LOCKED, true]);
  });

  it('TERMINATED takes no command step but GET DATA: no SELECT, no chaining; CARD_LOCKED and TERMINATED open no channel', () => {
    const terminated = machine(CARD_LIFE_CYCLE.TERMINATED).getSnapshot();
    expect(terminated.can({ type: 'SELECT_ISD', channel: 0, aid: ISD })).toBe(false);
    expect(terminated.can({ type: 'CHAIN_PART', channel: 0, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: Uint8Array.of(1) })).toBe(false);
    expect(terminated.can({ type: 'MANAGE_CHANNEL_OPEN', channel: 1, selected: ISD, application: false })).toBe(false);
    expect(machine(CARD_LIFE_CYCLE.CARD_LOCKED).getSnapshot().can({ type: 'MANAGE_CHANNEL_OPEN', channel: 1, selected: ISD, application: false })).toBe(false);
    expect(machine(CARD_LIFE_CYCLE.SECURED).getSnapshot().can({ type: 'MANAGE_CHANNEL_OPEN', channel: 1, selected: ISD, application: false })).toBe(true);
  });

  it('commands on a closed channel have no transition; channels 1–3 start closed', () => {
    const snap = machine().getSnapshot();
    expect(snap.hasTag('ch0.open')).toBe(true);
    expect([1, 2, 3].map((n) => snap.hasTag(`ch${n as 1 | 2 | 3}.open`))).toEqual([false, false, false]);
    expect(snap.can({ type: 'INITIALIZE_UPDATE', channel: 1 })).toBe(false);
    expect(snap.can({ type: 'SELECT_ISD', channel: 2, aid: ISD })).toBe(false);
  });

  it('tags are typed: a misspelt tag does not compile', () => {
    const snap = machine().getSnapshot();
    // @ts-expect-error 'ch0.scp.authenticatd' is not a tag of the card machine
    expect(snap.hasTag('ch0.scp.authenticatd')).toBe(false);
    const card = createCard();
    card.powerOn();
    // @ts-expect-error nor is 'scp.authenticatd' a channel tag
    expect(card.hasTag('scp.authenticatd')).toBe(false);
  });

  it('has a store region: recovery at power-up is its own state, and each transaction opens and commits (or rolls back)', () => {
    const actor = createActor(cardMachine, { input: { lifeCycle: CARD_LIFE_CYCLE.SECURED, isdAid: ISD } });
    actor.start();
    actor.send({ type: 'POWER_ON' });
    expect(actor.getSnapshot().hasTag('store.recovering')).toBe(true);
    expect(actor.getSnapshot().hasTag('may.select')).toBe(false); // the life cycle is not known before recovery
    actor.send({ type: 'STORE_RECOVERED', lifeCycle: CARD_LIFE_CYCLE.SECURED });
    expect(actor.getSnapshot().hasTag('store.recovering')).toBe(false);

    const { card, send } = cardWithEchoPackage(7);
    const store = () => (card.state as { on: { store: string } }).on.store;
    expect(store()).toBe('committed'); // the last LOAD block stored the Load File in one transaction
    const install = buildInstallForInstall({ loadFileAid: ECHO_PACKAGE_AID, moduleAid: ECHO_APPLET_AID, instanceAid: ECHO_APPLET_AID, makeSelectable: true });
    expect(swOf(send(install))).toBe(0x9000);
    expect(store()).toBe('committed');
    expect(() => card.store.transaction(() => {
      card.store.write('probe', Uint8Array.of(1));
      throw new Error('refused half-way');
    })).toThrow('refused half-way');
    expect(store()).toBe('rolledBack');
    expect(card.store.get('probe')).toBeUndefined();
  });

  it('every state node carries the id path it is reached by; the machine has the regions the card needs', () => {
    const keys = getStateNodes(cardMachine.root).map((n) => n.id);
    for (const region of ['store', 'lifeCycle', 'channel0', 'channel1', 'channel2', 'channel3']) expect(keys).toContain(`card.on.${region}`);
    for (const region of ['selection', 'secureChannel', 'content', 'chaining', 'getStatus', 'response']) expect(keys).toContain(`card.on.channel1.open.${region}`);
  });
});

describe('the card asks the machine', () => {
  it('SELECT of the ISD with nothing in progress sends no event (hot path)', () => {
    const card = createCard();
    card.powerOn();
    const before = card.state;
    card.transmit(buildSelect(ISD));
    expect(card.state).toBe(before);
    expect(toHex(card.selectedAid)).toBe(toHex(ISD));
  });
});
