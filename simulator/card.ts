import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import {
  tryParseCommandApdu,
  CardStatusError,
  SW,
  isSecureMessagingClass,
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
import type { CardEvent } from './card-setup.ts';
import type { CardRuntime, StatusCursor } from './card-runtime.ts';
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

/** Largest ISO command chain the card assembles (bytes of data). */
const MAX_CHAIN = 4096;

const EMPTY = new Uint8Array(0);
/** Commands a session at level > 00 accepts without secure messaging: they end or restart the session, or fetch a response. */
const SESSION_EXEMPT = new Set<number>([INS.SELECT, INS.INITIALIZE_UPDATE, INS.GET_RESPONSE, INS.MANAGE_CHANNEL]);

/**
 * A simulated GlobalPlatform card: the one door is `powerOn()` → ATR and `transmit(C-APDU)` → R-APDU.
 * States live in the card machine; persistent data in the PersistentStore; answers are exact to
 * the byte and, for a given seed and command sequence, reproducible.
 */
export class Card implements CardRuntime {
  readonly profile: CardProfile;
  readonly profileInput: CardProfileInput;
  readonly store: PersistentStore;
  readonly random: RandomSource;
  readonly scp = new Scp03CardSession();
  readonly registry: Registry;
  selectedAid: Uint8Array;
  statusCursor: StatusCursor | undefined;
  isdFci: Uint8Array = EMPTY;
  /** The last unexpected exception a handler threw (answered 6F00); undefined in a healthy card. */
  lastInternalError: unknown;
  /** What the last power-up's recovery did. */
  lastRecovery: RecoveryReport | undefined;
  pendingLoad: PendingLoad | undefined;
  private readonly applets: AppletModel[];
  /** ISO command chaining in progress: the header it started with and the data so far. */
  private chain: { ins: number; p1: number; p2: number; data: Uint8Array[]; size: number } | undefined;

  private readonly actor: Actor<typeof cardMachine>;
  private snapshot: SnapshotFrom<typeof cardMachine>;
  private readonly dispatcher: Dispatcher;
  /** Response bytes (data ‖ SW) waiting for GET RESPONSE (ISO 7816-4 §5.3.4, 61xx). */
  private pending: Uint8Array | undefined;

  constructor(options: CreateCardOptions = {}) {
    this.profileInput = options.profile ?? {};
    this.profile = resolveProfile(this.profileInput);
    this.random = options.random ?? seededRandom(options.seed ?? 0);
    this.store = options.store ?? personalize(this.profile, this.random);
    this.registry = new Registry(this.profile, this.store);
    this.selectedAid = this.profile.isdAid;
    this.dispatcher = new Dispatcher(options.handlers ?? DEFAULT_HANDLERS);
    this.applets = options.applets ?? DEFAULT_APPLETS;
    this.actor = createActor(cardMachine, { input: { lifeCycle: this.profile.lifeCycle } });
    this.actor.subscribe((s) => {
      this.snapshot = s;
    });
    this.actor.start();
    this.snapshot = this.actor.getSnapshot();
  }

  // ---- CardRuntime ----
  hasTag(tag: string): boolean {
    return this.snapshot.hasTag(tag);
  }
  send(event: CardEvent): void {
    this.actor.send(event);
  }
  can(event: CardEvent): boolean {
    return this.snapshot.can(event);
  }
  get lifeCycle(): number {
    return this.snapshot.context.lifeCycle;
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

  /** The machine's state value, e.g. `{ on: { lifeCycle: 'SECURED', channel: 'idle', selection: 'isd' } }`. */
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
    this.lastRecovery = this.store.powerUp();
    this.resetVolatile();
    this.send({ type: 'power.on', lifeCycle: this.store.get(STORE_KEY.LIFE_CYCLE)?.[0] ?? this.profile.lifeCycle });
    this.selectImplicitly();
    return this.profile.atr;
  }

  /** Removes power: every volatile state (session, selection, pending response) is gone. */
  powerOff(): void {
    this.resetVolatile();
    if (this.powered) this.send({ type: 'power.off' });
  }

  /** Warm reset (RST low while powered): volatile state is cleared, persistent memory untouched. Returns the ATR. */
  reset(): Uint8Array {
    if (!this.powered) return this.powerOn();
    this.resetVolatile();
    this.send({ type: 'power.reset' });
    this.selectImplicitly();
    return this.profile.atr;
  }

  /**
   * After the ATR the basic channel's implicitly selected application is the one holding Card Reset, if it is
   * selectable and the card life cycle lets applications be selected (not CARD_LOCKED or TERMINATED); otherwise
   * the ISD (GPCS 2.3.1 §6.6.1.5, §11.9.2).
   */
  private selectImplicitly(): void {
    if (!this.snapshot.hasTag('may.select')) return;
    const app = this.registry.implicitlySelectedApplication();
    if (!app) return;
    this.send({ type: 'select.application' });
    this.selectedAid = app.aid;
  }

  private resetVolatile(): void {
    this.scp.reset();
    this.pending = undefined;
    this.statusCursor = undefined;
    this.pendingLoad = undefined;
    this.chain = undefined;
    this.selectedAid = this.profile.isdAid;
    this.isdFci = buildSecurityDomainFci({
      aid: this.profile.isdAid,
      managementData: buildCardRecognitionData({ gpVersion: this.profile.gpVersion, scp: 0x03, i: this.profile.scp03.i }),
      maxCommandData: this.profile.maxCommandData,
    });
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
    if (!parsed.ok) {
      this.pending = undefined;
      return status(SW.WRONG_LENGTH);
    }
    const apdu = parsed.apdu;
    const cla = apdu.cla;
    if (cla === 0xff || (cla & 0xe0) === 0x20 || (cla & 0xe0) === 0xa0) return this.refuse(SW.CLA_NOT_SUPPORTED);
    if (apdu.ins === INS.GET_RESPONSE && (cla & 0x80) === 0) return this.getResponse(apdu);
    this.pending = undefined;
    if (logicalChannel(cla) !== 0) return status(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    if (apdu.extended && !this.profile.extendedLength) return status(SW.WRONG_LENGTH);
    if (apdu.data.length > this.profile.maxCommandData) return status(SW.WRONG_LENGTH);
    if (this.snapshot.hasTag('only.get-data') && apdu.ins !== INS.GET_DATA) return status(SW.FUNCTION_NOT_SUPPORTED);

    // Secure channel (AMD-D 5.6): unwrap, or refuse a command below the session's level.
    let plain: CommandApdu = apdu;
    let secured = false;
    const sm = isSecureMessagingClass(cla);
    if (this.snapshot.hasTag('scp.authenticated')) {
      if (apdu.ins === INS.EXTERNAL_AUTHENTICATE) {
        // Not part of the running session: no preceding INITIALIZE UPDATE (6985), and the session ends.
        this.closeSession();
        return status(SW.CONDITIONS_NOT_SATISFIED);
      }
      if (sm && this.snapshot.context.securityLevel !== 0) {
        try {
          plain = this.scp.unwrap(apdu);
        } catch (err) {
          if (!(err instanceof Scp03Error)) throw err;
          this.closeSession();
          return status(err.sw);
        }
        secured = true;
      } else if (sm || (this.snapshot.context.securityLevel !== 0 && !SESSION_EXEMPT.has(apdu.ins))) {
        this.closeSession();
        return status(SW.SECURITY_STATUS_NOT_SATISFIED);
      }
    } else if (this.snapshot.hasTag('scp.initiated')) {
      if (apdu.ins !== INS.EXTERNAL_AUTHENTICATE) {
        this.closeSession();
        if (sm) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
      }
    } else if (sm && apdu.ins !== INS.EXTERNAL_AUTHENTICATE) {
      return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    }

    // An application selected on the basic channel gets every command but SELECT by name (GPCS 11.9).
    const toApplet = this.snapshot.hasTag('selected.application') && !(plain.ins === INS.SELECT && plain.p1 === 0x04);
    const handler = toApplet ? this.appletHandler() : this.dispatcher.handlerFor(plain.ins);
    const chained = this.assembleChain(plain, handler);
    if (chained === 'intermediate') return status(SW.SUCCESS);
    if (typeof chained === 'number') return status(chained);
    const ctx: CommandContext = { card: this, apdu: chained, secured };
    const resp = this.run(ctx, handler);
    let data = resp.data;
    if (secured && this.snapshot.hasTag('scp.authenticated')) {
      const wrapped = this.scp.wrap(resp.data, resp.sw);
      data = wrapped.subarray(0, wrapped.length - 2);
    }
    return this.deliver(plain, data, resp.sw, handler?.readOnly === true);
  }

  private run(ctx: CommandContext, handler: CommandHandler | undefined): CardResponse {
    const base = (): CardResponse => {
      if (!handler) throw new CardStatusError(SW.INS_NOT_SUPPORTED);
      return handler.handle(ctx);
    };
    try {
      return this.dispatcher.dispatch(ctx, base);
    } catch (err) {
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
   * ISO 7816-4 §5.3.3 command chaining: commands with CLA b5 set are collected (answered 9000) until the
   * last one; the handler then sees one command with all the data. Only handlers that declare
   * `chaining` accept it (6884 otherwise); a chain broken by another command is 6883.
   */
  private assembleChain(apdu: CommandApdu, handler: CommandHandler | undefined): CommandApdu | 'intermediate' | number {
    const more = (apdu.cla & 0x10) !== 0;
    const chain = this.chain;
    if (!more && !chain) return apdu;
    if (chain && (chain.ins !== apdu.ins || chain.p1 !== apdu.p1 || chain.p2 !== apdu.p2)) {
      this.chain = undefined;
      return SW.LAST_COMMAND_EXPECTED;
    }
    if (!handler?.chaining) {
      this.chain = undefined;
      return SW.COMMAND_CHAINING_NOT_SUPPORTED;
    }
    const size = (chain?.size ?? 0) + apdu.data.length;
    if (size > MAX_CHAIN) {
      this.chain = undefined;
      return SW.WRONG_LENGTH;
    }
    const data = [...(chain?.data ?? []), apdu.data.slice()];
    if (more) {
      this.chain = { ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data, size };
      return 'intermediate';
    }
    this.chain = undefined;
    const all = new Uint8Array(size);
    let off = 0;
    for (const d of data) {
      all.set(d, off);
      off += d.length;
    }
    return { ...apdu, cla: apdu.cla & ~0x10, data: all };
  }

  /** The handler standing for the selected applet: its model's process(), or 6D00 when it has none. */
  private appletHandler(): CommandHandler {
    const record = findApplication(this.store, this.selectedAid);
    const model = record ? this.appletModelFor(record.moduleAid) : undefined;
    return {
      name: model ? `applet ${model.name}` : 'applet without a model',
      ins: -1,
      chaining: true,
      handle: ({ apdu }) => {
        if (!model) throw new CardStatusError(SW.INS_NOT_SUPPORTED, 'no applet model for this instance');
        return model.process(this.appletContext(this.selectedAid), apdu);
      },
    };
  }

  /** Ends the secure channel session (a security failure, or a command that closes it). */
  closeSession(): void {
    this.pendingLoad = undefined;
    this.scp.reset();
    if (!this.snapshot.hasTag('scp.idle')) this.send({ type: 'scp.closed' });
  }

  /**
   * Fits the response to Le (ISO 7816-4 §5.3.4): all of it when Ne allows; 6Cxx (exact length) for a
   * read-only command asking fewer bytes; otherwise the first part and 61xx for GET RESPONSE. A command
   * without Le that has response data answers 61xx (the T=0 convention, which hosts handle anyway).
   */
  private deliver(apdu: CommandApdu, data: Uint8Array, sw: number, readOnly: boolean): Uint8Array {
    const len = data.length;
    if (len === 0) return status(sw);
    const max = apdu.extended ? 65536 : 256;
    const ne = apdu.ne;
    if (ne !== undefined && ne >= len && len <= max) return withSw(data, sw);
    if (ne !== undefined && readOnly && len <= 256 && ne < len) return status(0x6c00 | (len & 0xff));
    const first = ne === undefined ? 0 : Math.min(ne, max);
    this.pending = withSw(data.subarray(first), sw);
    return withSw(data.subarray(0, first), 0x6100 | Math.min(len - first, 256) & 0xff);
  }

  private getResponse(apdu: CommandApdu): Uint8Array {
    const pending = this.pending;
    if (apdu.p1 !== 0 || apdu.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (!pending) return status(SW.CONDITIONS_NOT_SATISFIED);
    const rest = pending.length - 2;
    const ne = apdu.ne ?? 256;
    if (ne >= rest) {
      this.pending = undefined;
      return pending;
    }
    this.pending = pending.subarray(ne);
    const remaining = this.pending.length - 2;
    return withSw(pending.subarray(0, ne), 0x6100 | Math.min(remaining, 256) & 0xff);
  }

  private refuse(sw: number): Uint8Array {
    this.pending = undefined;
    return status(sw);
  }
}

function status(sw: number): Uint8Array {
  return new Uint8Array([sw >> 8, sw & 0xff]);
}

function withSw(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** Creates a card: personalised from its profile (or over an existing persistent memory), powered off. */
export function createCard(options: CreateCardOptions = {}): Card {
  return new Card(options);
}
