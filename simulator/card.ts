import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import {
  tryParseCommandApdu,
  CardStatusError,
  SW,
  logicalChannel,
  INS,
  type CommandApdu,
} from '../protocol/apdu/index.ts';
import { seededRandom, type RandomSource } from '../protocol/crypto/random-source.ts';
import { Scp03CardSession, Scp03Error } from '../protocol/gp/scp03/index.ts';
import { buildCardRecognitionData, buildSecurityDomainFci } from '../protocol/gp/data/index.ts';
import { PersistentStore, PowerLossError, StorageError, saveCardImage, type WriteHook, type RecoveryReport } from './storage/index.ts';
import { resolveProfile, type CardProfile, type CardProfileInput } from './profile/card-profile.ts';
import { cardMachine } from './card-machine.ts';
import { CHANNELS, CHANNEL_TAG_NAMES, channelTag, type CardEvent, type ChannelNumber, type ChannelTagName, type CommandChain, type StatusCursor, type Tag } from './card-setup.ts';
import type { CardRuntime } from './card-runtime.ts';
import { fitResponse, continueResponse, status } from './processing/response-fitting.ts';
import { secureMessagingGate } from './processing/secure-messaging-gate.ts';
import { unmetPrecondition } from './processing/preconditions.ts';
import { assembleChain } from './processing/command-chain.ts';
import { Dispatcher, type CardResponse, type CommandContext, type CommandHandler, type DispatchOverride } from './dispatch.ts';
import { DEFAULT_HANDLERS } from './commands/index.ts';
import { Registry } from './registry.ts';
import { personalize } from './personalize.ts';
import { STORE_KEY, KEYSET_PREFIX } from './storage-keys.ts';
import { concat, equalBytes } from '../protocol/bytes.ts';
import { DEFAULT_APPLETS, type AppletContext, type AppletModel } from './applets/index.ts';
import { findApplication } from './content/content-records.ts';
import type { PendingLoad } from './content/pending-load.ts';
import { readCardKey } from './content/card-key.ts';
import type { EcCurve } from '../protocol/crypto/index.ts';

export class CardError extends Error {
  override readonly name = 'CardError';
  constructor(
    readonly code: 'POWERED_OFF' | 'POWER_LOSS',
    message: string,
  ) {
    super(message);
  }
}

export interface CreateCardOptions {
  /** Profile file contents (defaults applied) or an already resolved profile. */
  profile?: CardProfileInput;
  /** Seed of the card's random source; the default seed is 0, so a card is deterministic unless told otherwise. */
  seed?: number | string;
  /** A random source of your own (e.g. `systemRandom()`); wins over `seed`. */
  random?: RandomSource;
  /** An existing persistent memory (from a card image); without it the card is personalised afresh. */
  store?: PersistentStore;
  /** Replaces the command handlers (tests). */
  handlers?: CommandHandler[];
  /** Applet models by class AID (default: loyalty and echo). */
  applets?: AppletModel[];
}

const EMPTY = new Uint8Array(0);
const CHANNEL_TAG_NAME_SET: ReadonlySet<string> = new Set(CHANNEL_TAG_NAMES);

/** The ISD's FCI depends only on the profile (resolved profiles are shared and frozen): built once per profile. */
const ISD_FCI = new WeakMap<CardProfile, Uint8Array>();
function isdFciOf(profile: CardProfile): Uint8Array {
  let fci = ISD_FCI.get(profile);
  if (!fci) {
    fci = buildSecurityDomainFci({
      aid: profile.isdAid,
      managementData: buildCardRecognitionData({ gpVersion: profile.gpVersion, scp: 0x03, i: profile.scp03.i }),
      maxCommandData: profile.maxCommandData,
    });
    ISD_FCI.set(profile, fci);
  }
  return fci;
}
/**
 * A simulated GlobalPlatform card: the one door is `powerOn()` → ATR and `transmit(C-APDU)` → R-APDU.
 * What the card may do next lives in the card machine (card-machine.ts); persistent data in the
 * PersistentStore; handlers (commands/) do the byte work. Answers are exact to the byte and, for a given
 * seed and command sequence, reproducible.
 */
export class Card implements CardRuntime {
  readonly profile: CardProfile;
  readonly profileInput: CardProfileInput;
  readonly store: PersistentStore;
  readonly random: RandomSource;
  readonly registry: Registry;
  isdFci: Uint8Array = EMPTY;
  /** The last unexpected exception a handler threw (answered 6F00); undefined in a healthy card. */
  lastInternalError: unknown;
  /** What the last power-up's recovery did. */
  lastRecovery: RecoveryReport | undefined;
  /** The applet models this card runs (by class AID), the user's first. */
  readonly applets: readonly AppletModel[];
  /** One secure channel session (keys, counters) per logical channel; whether it is open is the machine's to say. */
  private readonly sessions: Scp03CardSession[] = CHANNELS.map(() => new Scp03CardSession());
  /** The channel of the command being processed. */
  private current: ChannelNumber = 0;
  /** A write is running whose event the machine already had (writeToldAlready). */
  private toldAlready = false;
  /** The channel whose session INITIALIZE UPDATE is restarting (restartSession), until the command ends. */
  private restarting: ChannelNumber | undefined;
  /** The selected applet's handler, kept while its record is unchanged (appletHandler). */
  private applet: { aid: Uint8Array; record: unknown; handler: CommandHandler } | undefined;

  private readonly actor: Actor<typeof cardMachine>;
  private snapshot: SnapshotFrom<typeof cardMachine>;
  private readonly dispatcher: Dispatcher;

  constructor(options: CreateCardOptions = {}) {
    this.profileInput = options.profile ?? {};
    this.profile = resolveProfile(this.profileInput);
    this.random = options.random ?? seededRandom(options.seed ?? 0);
    this.store = options.store ?? personalize(this.profile, this.random);
    this.registry = new Registry(this.profile, this.store);
    this.dispatcher = new Dispatcher(options.handlers ?? DEFAULT_HANDLERS);
    this.applets = options.applets ?? DEFAULT_APPLETS;
    this.actor = createActor(cardMachine, { input: { lifeCycle: this.profile.lifeCycle, isdAid: this.profile.isdAid } });
    this.actor.subscribe((s) => {
      this.snapshot = s;
    });
    this.actor.start();
    this.snapshot = this.actor.getSnapshot();
    this.store.onTransaction((phase) => {
      if (phase === 'atomic' && this.toldAlready) return;
      if (this.powered) this.actor.send({ type: phase === 'begin' ? 'TX_BEGIN' : phase === 'commit' ? 'TX_COMMIT' : phase === 'atomic' ? 'TX_ATOMIC' : 'TX_ABORT' });
    });
  }

  // ---- CardRuntime ----
  get channel(): ChannelNumber {
    return this.current;
  }
  get scp(): Scp03CardSession {
    return this.sessions[this.current]!;
  }
  sessionOf(n: ChannelNumber): Scp03CardSession {
    return this.sessions[n]!;
  }
  hasTag(tag: Tag | ChannelTagName): boolean {
    return this.snapshot.hasTag(CHANNEL_TAG_NAME_SET.has(tag) ? channelTag(this.current, tag as ChannelTagName) : (tag as Tag));
  }
  send(event: CardEvent): void {
    if (event.type === 'INITIALIZE_UPDATE' && event.channel === this.restarting) this.restarting = undefined;
    this.actor.send(event);
    // The machine says whether a session is open; the session object holding its keys follows.
    for (const n of CHANNELS) if (this.sessions[n]!.state !== 'idle' && this.snapshot.hasTag(channelTag(n, 'scp.idle'))) this.sessions[n]!.reset();
  }
  writeToldAlready(write: () => void): void {
    this.toldAlready = true;
    try {
      write();
    } finally {
      this.toldAlready = false;
    }
  }
  take(event: CardEvent): boolean {
    const before = this.snapshot;
    this.send(event);
    // A new snapshot means the event was taken. The same one means it was refused — or taken by a transition
    // that changes nothing observable (INITIALIZE UPDATE again on a half-open session); the state after such a
    // transition takes the event again, a refusing one does not.
    return this.snapshot !== before || this.snapshot.can(event);
  }
  can(event: CardEvent): boolean {
    return this.snapshot.can(event);
  }
  get lifeCycle(): number {
    return this.snapshot.context.lifeCycle;
  }
  get selectedAid(): Uint8Array {
    return this.snapshot.context.channels[this.current]!.selected;
  }
  selectedOn(n: ChannelNumber): Uint8Array {
    return this.snapshot.context.channels[n]!.selected;
  }
  get statusCursor(): StatusCursor | undefined {
    return this.snapshot.context.channels[this.current]!.statusCursor;
  }
  chainOnChannel(): CommandChain | undefined {
    return this.snapshot.context.channels[this.current]!.chain;
  }
  get pendingLoad(): PendingLoad | undefined {
    return this.snapshot.context.channels[this.current]!.load;
  }
  appletModelFor(moduleAid: Uint8Array): AppletModel | undefined {
    return this.applets.find((a) => equalBytes(a.moduleAid, moduleAid));
  }
  appletContext(instanceAid: Uint8Array): AppletContext {
    const store = this.store;
    return {
      instanceAid,
      get: (field) => store.get(STORE_KEY.appData(instanceAid, field)),
      write: (field, value) => store.write(STORE_KEY.appData(instanceAid, field), value),
      transaction: (fn) => (store.inTransaction() ? fn() : store.transaction(fn)),
      random: this.random,
    };
  }
  freeTransientMemory(): number {
    // No transient objects exist until applets do: the whole configured RAM is free.
    return this.profile.memory.transient;
  }

  /** Ends the current channel's secure channel session (a security failure, or a command that closes it). */
  closeSession(): void {
    const session = this.sessions[this.current]!;
    if (!this.snapshot.hasTag(channelTag(this.current, 'scp.idle'))) this.send({ type: 'SECURE_CHANNEL_ABORTED', channel: this.current });
    session.reset();
  }

  restartSession(): void {
    this.sessions[this.current]!.reset();
    if (!this.snapshot.hasTag(channelTag(this.current, 'scp.idle'))) this.restarting = this.current;
  }

  /** After a command: a session restart that did not lead to a new session ends the old one in the machine too. */
  private settleRestart(): void {
    const n = this.restarting;
    if (n === undefined) return;
    this.restarting = undefined;
    if (!this.snapshot.hasTag(channelTag(n, 'scp.idle'))) this.send({ type: 'SECURE_CHANNEL_ABORTED', channel: n });
  }

  endLoad(): void {
    if (this.snapshot.context.channels[this.current]!.load) this.send({ type: 'LOAD_ENDED', channel: this.current });
  }

  /** The card's own public key (for its certificate and to check its signatures). */
  signingKey(): { curve: EcCurve; publicKey: Uint8Array } {
    const key = readCardKey(this.store);
    if (!key) throw new Error('the card has no signing key');
    return { curve: key.curve, publicKey: key.publicKey };
  }

  /**
   * The issuer's personalisation step: stores the card certificate its CA issued for this card's key
   * (in one transaction, charged like any object); GET DATA 7F21 then returns it.
   */
  installCertificate(der: Uint8Array): void {
    if (der.length < 64 || der[0] !== 0x30) throw new Error('not a DER certificate');
    this.store.transaction(() => this.store.write(STORE_KEY.CARD_CERTIFICATE, der));
  }

  /**
   * The issuer's personalisation of the ISD keys (what PUT KEY or a personalisation bureau's STORE DATA
   * does, GPCS §11.8): replaces the keyset of this key version (or adds it), keeping its sequence
   * counter, in one transaction. The issuer's own per-card keys then replace the profile's defaults.
   */
  installKeys(keyset: { kvn: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array }): void {
    if (keyset.kvn < 1 || keyset.kvn > 0x7f) throw new Error('KVN must be 01–7F');
    if (![16, 24, 32].includes(keyset.enc.length) || keyset.mac.length !== keyset.enc.length || keyset.dek.length !== keyset.enc.length) throw new Error('ENC, MAC and DEK are AES keys of one length');
    this.store.transaction(() => {
      for (const name of this.store.keys(KEYSET_PREFIX)) if (name !== STORE_KEY.keyset(keyset.kvn)) this.store.remove(name);
      this.store.write(STORE_KEY.keyset(keyset.kvn), concat(keyset.enc, keyset.mac, keyset.dek));
      if (!this.store.get(STORE_KEY.sequenceCounter(keyset.kvn))) this.store.write(STORE_KEY.sequenceCounter(keyset.kvn), new Uint8Array(3));
    });
  }

  /** The ISD's SCP03 keyset as personalised (the lowest key version when `kvn` is not given): what a host needs to open a session. */
  keyset(kvn?: number): { kvn: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } | undefined {
    const names = this.store.keys(KEYSET_PREFIX);
    const name = kvn === undefined ? names[0] : names.find((n) => n === STORE_KEY.keyset(kvn));
    const bytes = name === undefined ? undefined : this.store.get(name);
    if (!name || !bytes) return undefined;
    const n = bytes.length / 3;
    return { kvn: parseInt(name.slice(KEYSET_PREFIX.length), 16), enc: bytes.slice(0, n), mac: bytes.slice(n, 2 * n), dek: bytes.slice(2 * n) };
  }

  /** The machine's state value, e.g. `{ on: { store: 'idle', lifeCycle: 'SECURED', channel0: { open: { … } }, channel1: 'closed', … } }`. */
  get state(): unknown {
    return this.snapshot.value;
  }
  get powered(): boolean {
    return this.snapshot.hasTag('powered');
  }

  // ---- power ----
  /**
   * Cold power-up: the persistent memory recovers (an interrupted transaction is rolled back), the life
   * cycle is restored from it, the ISD (or the application holding Card Reset) is selected. Returns the ATR.
   */
  powerOn(): Uint8Array {
    if (this.powered) this.powerOff();
    this.send({ type: 'POWER_ON' });
    this.lastRecovery = this.store.powerUp();
    this.send({ type: 'STORE_RECOVERED', lifeCycle: this.persistedLifeCycle() });
    this.afterReset();
    // A copy: the profile, and its ATR, are shared by every card made from it.
    return this.profile.atr.slice();
  }

  /** Removes power: every volatile state (sessions, selections, channels, pending responses) is gone. */
  powerOff(): void {
    for (const s of this.sessions) s.reset();
    if (this.powered) this.send({ type: 'POWER_OFF' });
  }

  /** Warm reset (RST low while powered): volatile state is cleared, persistent memory untouched. Returns the ATR. */
  reset(): Uint8Array {
    if (!this.powered) return this.powerOn();
    for (const s of this.sessions) s.reset();
    this.send({ type: 'RESET' });
    // No command runs across a reset, so no transaction is open: the store is consistent as it stands.
    this.send({ type: 'STORE_RECOVERED', lifeCycle: this.persistedLifeCycle() });
    this.afterReset();
    // A copy: the profile, and its ATR, are shared by every card made from it.
    return this.profile.atr.slice();
  }

  private persistedLifeCycle(): number {
    return this.store.get(STORE_KEY.LIFE_CYCLE)?.[0] ?? this.profile.lifeCycle;
  }

  /**
   * After the ATR the basic channel's implicitly selected application is the one holding Card Reset, if it is
   * selectable and the card life cycle lets applications be selected (not CARD_LOCKED or TERMINATED); otherwise
   * the ISD (GPCS 2.3.1 §6.6.1.5, §11.9.2).
   */
  private afterReset(): void {
    this.current = 0;
    this.isdFci = isdFciOf(this.profile);
    if (!this.snapshot.hasTag('may.select')) return;
    const app = this.registry.implicitlySelectedApplication();
    if (app) this.send({ type: 'SELECT_APPLICATION', channel: 0, aid: app.aid });
  }

  // ---- fault hooks ----
  /** Installs a hook called before every physical write to persistent memory ('tear' = power loss there). */
  onPersistentWrite(hook: WriteHook | undefined): void {
    this.store.onWrite(hook);
  }

  /** Places overrides in front of the command handlers (fault injection). */
  use(...overrides: DispatchOverride[]): void {
    this.dispatcher.use(...overrides);
  }
  resetOverrides(): void {
    this.dispatcher.resetOverrides();
  }

  /**
   * Saves the card (profile and persistent memory) to a card image file, sealed, 0600, atomically
   * (saveCardImage). To keep a file as the card's memory at every commit, see backCardWithImage.
   */
  saveImage(path: string): void {
    saveCardImage(path, { profile: this.profileInput, store: this.store });
  }

  // ---- APDU processing ----
  /**
   * Sends one C-APDU and returns the R-APDU (data ‖ SW1 SW2). Throws CardError when the card has no
   * power, or when power is lost during the command (a torn write): then there is no response at all.
   */
  transmit(command: Uint8Array): Uint8Array {
    if (!this.powered) throw new CardError('POWERED_OFF', 'the card is not powered');
    try {
      return this.process(command);
    } catch (err) {
      if (err instanceof PowerLossError) {
        this.powerOff();
        throw new CardError('POWER_LOSS', `power lost during a persistent write: ${err.message}`);
      }
      throw err;
    }
  }

  private process(bytes: Uint8Array): Uint8Array {
    const parsed = tryParseCommandApdu(bytes);
    const cla = bytes[0] ?? 0;
    const interindustry = cla !== 0xff && (cla & 0xe0) !== 0x20 && (cla & 0xe0) !== 0xa0;
    const ch = logicalChannel(cla);
    // Channels 4–19 (further interindustry class) are not supported; 0–3 must be open (ISO 7816-4 §5.1.1.2).
    if (interindustry && (ch > 3 || !this.snapshot.hasTag(channelTag(ch as ChannelNumber, 'open')))) return status(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    this.current = interindustry ? (ch as ChannelNumber) : 0;
    if (!parsed.ok) {
      this.dropResponse();
      return status(SW.WRONG_LENGTH);
    }
    const apdu = parsed.apdu;
    if (!interindustry) {
      this.dropResponse();
      return status(SW.CLA_NOT_SUPPORTED);
    }
    if (apdu.ins === INS.GET_RESPONSE && (cla & 0x80) === 0) return this.getResponse(apdu);
    this.dropResponse();
    if (apdu.extended && !this.profile.extendedLength) return status(SW.WRONG_LENGTH);
    if (apdu.data.length > this.profile.maxCommandData) return status(SW.WRONG_LENGTH);
    if (this.snapshot.hasTag('only.get-data') && apdu.ins !== INS.GET_DATA) return status(SW.FUNCTION_NOT_SUPPORTED);

    const gate = secureMessagingGate(this, apdu);
    if (gate.sw !== undefined) return status(gate.sw);
    const { plain, secured } = gate;

    // An application selected on the channel gets every command but SELECT by name and MANAGE CHANNEL,
    // which the OPEN processes (GPCS 11.9, 11.7).
    const toApplet = this.hasTag('selected.application') && !(plain.ins === INS.SELECT && plain.p1 === 0x04) && plain.ins !== INS.MANAGE_CHANNEL;
    const handler = toApplet ? this.appletHandler() : this.dispatcher.handlerFor(plain.ins);
    const chained = assembleChain(this, plain, handler);
    if (chained === 'intermediate') return status(SW.SUCCESS);
    if (typeof chained === 'number') return status(chained);
    const ctx: CommandContext = { card: this, apdu: chained, secured };
    const resp = this.run(ctx, handler);
    let data = resp.data;
    if (secured && this.hasTag('scp.authenticated')) {
      const wrapped = this.scp.wrap(resp.data, resp.sw);
      data = wrapped.subarray(0, wrapped.length - 2);
    }
    const fitted = fitResponse(plain, data, resp.sw, handler?.readOnly === true);
    if (fitted.pending) this.send({ type: 'RESPONSE_PENDING', channel: this.current, bytes: fitted.pending });
    return fitted.rapdu;
  }

  private run(ctx: CommandContext, handler: CommandHandler | undefined): CardResponse {
    // Refusals decided here are answers, not exceptions: a throw through dispatch costs more than the command.
    const base = (): CardResponse => {
      if (!handler) return { data: EMPTY, sw: SW.INS_NOT_SUPPORTED };
      if (handler.requires) {
        const unmet = unmetPrecondition(handler.name, handler.requires, this, ctx.apdu.cla, ctx.secured);
        if (unmet) return { data: EMPTY, sw: unmet.sw };
      }
      return handler.handle(ctx);
    };
    try {
      const response = this.dispatcher.dispatch(ctx, base);
      this.settleRestart();
      return response;
    } catch (err) {
      this.settleRestart();
      if (err instanceof PowerLossError) throw err;
      if (this.store.powered && this.store.inTransaction()) this.store.abort();
      if (err instanceof CardStatusError) return { data: EMPTY, sw: err.sw };
      if (err instanceof Scp03Error) {
        this.closeSession();
        return { data: EMPTY, sw: err.sw };
      }
      if (err instanceof StorageError) return { data: EMPTY, sw: err.code === 'NO_SPACE' ? SW.NOT_ENOUGH_MEMORY : SW.MEMORY_FAILURE };
      this.lastInternalError = err;
      return { data: EMPTY, sw: SW.NO_PRECISE_DIAGNOSIS };
    }
  }

  /**
   * The handler standing for the selected applet: its model's process(), or 6D00 when it has none. Kept while
   * the registry record is the same object (records are decoded once per stored value and frozen).
   */
  private appletHandler(): CommandHandler {
    const aid = this.selectedAid;
    const record = findApplication(this.store, aid);
    const cached = this.applet;
    if (cached && cached.record === record && cached.aid === aid) return cached.handler;
    const model = record ? this.appletModelFor(record.moduleAid) : undefined;
    const context = this.appletContext(aid);
    const handler: CommandHandler = {
      name: model ? `applet ${model.name}` : 'applet without a model',
      ins: -1,
      chaining: true,
      handle: ({ apdu }) => (model ? model.process(context, apdu) : { data: EMPTY, sw: SW.INS_NOT_SUPPORTED }),
    };
    this.applet = { aid, record, handler };
    return handler;
  }

  /** Any command but GET RESPONSE ends the wait for GET RESPONSE on its channel. */
  private dropResponse(): void {
    if (this.snapshot.context.channels[this.current]!.pending) this.send({ type: 'RESPONSE_DROPPED', channel: this.current });
  }

  private getResponse(apdu: CommandApdu): Uint8Array {
    const pending = this.snapshot.context.channels[this.current]!.pending;
    // A refused GET RESPONSE leaves the pending response for a correct one.
    if (apdu.p1 !== 0 || apdu.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (!pending) return status(SW.CONDITIONS_NOT_SATISFIED);
    const next = continueResponse(pending, apdu.ne);
    this.send({ type: 'GET_RESPONSE', channel: this.current, rest: next.pending });
    return next.rapdu;
  }
}

/** Creates a card: personalised from its profile (or over an existing persistent memory), powered off. */
export function createCard(options: CreateCardOptions = {}): Card {
  return new Card(options);
}
