import type { Reader } from '../../reader-bridge/index.ts';
import type { Card } from '../../simulator/index.ts';
import { SW, swHex, swMeaning, swOf } from '../../protocol/apdu/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { seededRandom } from '../../protocol/crypto/random-source.ts';
import { buildDelete } from '../../protocol/gp/commands/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import type { StepResult } from '../run-scenario.ts';
import { applyEvents, channelState, CHANNELS, initialState, type Channel, type ConformState } from './conform-model.ts';
import { LEVEL, onChannel, stepCommand, stepEffect, stepTitle, type ConformWorld, type HostStep } from './host-steps.ts';
import type { NegativeStep } from './negative-steps.ts';
import { takeStep, type ConformPath } from './plan.ts';
import { readBack } from './read-back.ts';

/** The ISD keyset a host opens sessions with. */
export interface HostKeys {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

/** A path failed: the message names the path, the step, the bytes sent and the status word expected. */
export class PathFailure extends Error {
  override readonly name = 'PathFailure';
  constructor(
    message: string,
    readonly context: StepResult['context'],
  ) {
    super(message);
  }
}

/** SELECT, INITIALIZE UPDATE, GET RESPONSE and MANAGE CHANNEL go plain inside a session (AMD-D 5.6: they end, restart or serve it). */
const PLAIN_IN_SESSION = new Set([0xa4, 0x50, 0xc0, 0x70]);

export interface PathRunOptions {
  world: ConformWorld;
  path: ConformPath;
  /** The path's number in the run: with the seed, it seeds the host challenges. */
  index: number;
  reader: Reader;
  /** The card when it is in this process: its machine state is then compared with the model's after each step. */
  card: Card | undefined;
  /** Whether a power-off reaches the card as the host asks (in process), or is the PC/SC daemon's to carry out. */
  powerVisible: boolean;
  keys: HostKeys;
  seed: number;
  /** The card is not ours: delete what the path loaded once it is read back. */
  giveBack: boolean;
}

/**
 * The host side of one path: its steps, each status word against the model's, the card's machine state
 * against the model's after each step (a card in this process), the refusals of the state reached, the
 * read-back of life cycle and registry, and — on a card that is not ours — the content given back.
 */
export class PathRun {
  readonly steps: StepResult[] = [];
  private readonly sessions = new Map<Channel, Scp03HostSession>();
  private state: ConformState;
  private stepIndex = 0;
  private title = '';

  constructor(private readonly o: PathRunOptions) {
    this.state = initialState(o.path.startLifeCycle, o.world.isdAid);
  }

  async run(): Promise<StepResult[]> {
    for (const step of this.o.path.steps) await this.take(step);
    for (const refusal of this.o.path.negatives) await this.refuse(refusal);
    this.next('read back');
    await this.readBack();
    if (this.o.giveBack && this.state.card.hasTag('may.manage')) await this.giveBack();
    return this.steps;
  }

  private next(title: string): void {
    this.stepIndex++;
    this.title = title;
  }

  private where(): string {
    return `path "${this.o.path.name}", step ${this.stepIndex} "${this.title}"`;
  }

  /** Sends a command on `channel` (wrapped in its session when `secured`) and checks the status word; answers the response data. */
  private async transmit(bytes: Uint8Array, expected: number | number[], secured: boolean, channel: Channel): Promise<Uint8Array> {
    const session = this.sessions.get(channel);
    const sent = secured && session ? session.wrap(bytes) : bytes;
    const r = await this.o.reader.transmit(sent);
    const sw = swOf(r);
    const want = Array.isArray(expected) ? expected : [expected];
    const expectation = `expected SW ${want.map(swHex).join(' or ')} (${want.map(swMeaning).join(' / ')})`;
    const context = { command: toHex(sent), response: toHex(r), notes: [expectation] };
    this.steps.push({ index: this.stepIndex, kind: 'apdu', name: this.title, line: undefined, status: 'passed', durationMs: 0, context });
    if (!want.includes(sw)) throw new PathFailure(`${this.where()}: sent ${toHex(sent)}, ${expectation}, got ${swHex(sw)} (${swMeaning(sw)})`, context);
    return r.subarray(0, r.length - 2);
  }

  /** A new SCP03 host session on channel n, its challenge seeded by the run's seed, the path and the step. */
  private openSession(n: Channel): Scp03HostSession {
    const host = new Scp03HostSession({ keys: this.o.keys, kvn: this.o.keys.kvn, random: seededRandom(`${this.o.seed}:${this.o.index}:${this.stepIndex}:${n}`) });
    this.sessions.set(n, host);
    return host;
  }

  /** The card's machine state equals the model's (a card in this process only). */
  private checkMachine(): void {
    const card = this.o.card;
    if (!card) return;
    const powered = this.state.card.hasTag('powered');
    // Through PC/SC a power-off is the daemon's to carry out (pcscd may power the card again at once): the host cannot see it.
    if (!this.o.powerVisible && !powered) return;
    const actual = JSON.stringify(card.powered ? card.state : 'off');
    const predicted = JSON.stringify(powered ? this.state.card.value : 'off');
    if (actual !== predicted) throw new PathFailure(`${this.where()}: the card's state is ${actual}; the model predicts ${predicted}`, { notes: ['the card machine differs from the model'] });
  }

  private async take(step: HostStep): Promise<void> {
    const w = this.o.world;
    this.next(stepTitle(step));
    const effect = stepEffect(w, this.state, step);
    if (!effect) throw new PathFailure(`${this.where()}: the model does not offer this step here (a planning error)`, {});
    const sent = stepCommand(w, this.state, step);
    const reader = this.o.reader;
    if (sent.kind === 'power') {
      if (sent.what === 'on') await reader.powerOn();
      else if (sent.what === 'off') await reader.powerOff();
      else await reader.reset();
      this.steps.push({ index: this.stepIndex, kind: 'apdu', name: this.title, line: undefined, status: 'passed', durationMs: 0 });
    } else if (sent.kind === 'initialize-update') {
      const n = (step as { channel: Channel }).channel;
      const host = this.openSession(n);
      // The host session builds CLA 80; the channel goes in b2–b1 (GPCS 11.1.4), outside the C-MAC (AMD-D 6.2.4).
      host.processInitializeUpdateResponse(await this.transmit(onChannel(host.initializeUpdateCommand(), n), effect.sw!, false, n));
    } else if (sent.kind === 'external-authenticate') {
      const n = (step as { channel: Channel }).channel;
      const host = this.sessions.get(n);
      if (!host) throw new PathFailure(`${this.where()}: no INITIALIZE UPDATE response to authenticate`, {});
      await this.transmit(onChannel(host.externalAuthenticateCommand(sent.level), n), effect.sw!, false, n);
    } else {
      const n = (sent.bytes[0]! & 0x03) as Channel;
      const secured = channelState(this.state.card, n).scp === 'authenticated' && !PLAIN_IN_SESSION.has(sent.bytes[1]!);
      await this.transmit(sent.bytes, effect.sw!, secured, n);
    }
    this.state = takeStep(w, this.state, step)!.state;
    // A session the card ended (or power took) is gone on the host's side too.
    for (const n of CHANNELS) if (!this.state.card.hasTag('powered') || channelState(this.state.card, n).scp === 'idle') this.sessions.delete(n);
    this.checkMachine();
  }

  private async refuse(refusal: NegativeStep): Promise<void> {
    this.next(`refused: ${refusal.name}`);
    await this.transmit(refusal.bytes, refusal.effect.sw!, refusal.secured, refusal.channel);
    this.state = { ...this.state, card: applyEvents(this.state.card, refusal.effect.events)! };
    for (const n of CHANNELS) if (channelState(this.state.card, n).scp === 'idle') this.sessions.delete(n);
    this.checkMachine();
  }

  private readBack(): Promise<void> {
    return readBack(this.o.world, {
      send: (what, bytes, sw, secured = false) => {
        this.title = what;
        return this.transmit(bytes, sw, secured, 0);
      },
      authenticate: async () => {
        this.title = 'read back: INITIALIZE UPDATE';
        const host = this.openSession(0);
        host.processInitializeUpdateResponse(await this.transmit(host.initializeUpdateCommand(), SW.SUCCESS, false, 0));
        this.title = 'read back: EXTERNAL AUTHENTICATE';
        await this.transmit(host.externalAuthenticateCommand(LEVEL), SW.SUCCESS, false, 0);
      },
      reset: async () => {
        this.sessions.clear();
        if (this.state.card.hasTag('powered')) await this.o.reader.reset();
        else await this.o.reader.powerOn();
      },
      fail: (message) => {
        throw new PathFailure(`${this.where()}: ${message}`, {});
      },
    }, this.state);
  }

  /** A card that is not ours gets back what the path put on it (the read-back left a session on channel 0). */
  private async giveBack(): Promise<void> {
    const m = this.o.world.material;
    this.title = 'give back: DELETE what the path loaded';
    if (this.state.content.elfs.includes('app')) await this.transmit(buildDelete(m.app.packageAid), SW.SUCCESS, true, 0);
    if (this.state.content.elfs.includes('lib')) await this.transmit(buildDelete(m.lib.packageAid, { related: true }), SW.SUCCESS, true, 0);
  }
}
