import { parseResponseApdu, swHex, swMeaning, SW } from '../../../protocol/apdu/index.ts';
import { equalBytes, fromHex, toHex } from '../../../protocol/bytes.ts';
import type { EcCurve, RandomSource } from '../../../protocol/crypto/index.ts';
import { buildLoadFile } from '../../../protocol/cap/index.ts';
import { buildDelete, buildGetData, buildInstallForInstall, buildInstallForLoad, buildLoadCommands, buildSelect } from '../../../protocol/gp/commands/index.ts';
import { parseCardResources, parseConfirmation, RECEIPT_CONTEXT, type CardResources, type Confirmation } from '../../../protocol/gp/data/index.ts';
import { verifyReceipt } from '../../../protocol/gp/receipt.ts';
import { Scp03Error, Scp03HostSession, type SessionKeys } from '../../../protocol/gp/scp03/index.ts';
import { BatchedChannel } from './batched-channel.ts';

/** Everything the issuer needs to install one application on one card (S11–S14). */
export interface InstallPlan {
  isdAid: Uint8Array;
  keys: { kvn: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array };
  /** IIN ‖ CIN: the SD unique data a genuine confirmation of this card carries. */
  sdUniqueData: Uint8Array;
  /** The card's certified key: receipts are ECDSA signatures by it (reference §9.4). */
  cardKey: { curve: EcCurve; publicKey: Uint8Array };
  loadFileAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid: Uint8Array;
  privileges: Uint8Array;
  applicationParameters: Uint8Array;
  lfdb: Uint8Array;
  lfdbHash: Uint8Array;
  dapSignature: Uint8Array;
  /** Non-volatile code the card must have free (INSTALL [for load] `EF/C6`). */
  memoryNeeded: number;
  /** A confirmation counter at or below this was seen before: a replayed confirmation. */
  lastConfirmationCounter: number | null;
}

/** Why an install failed, as recorded on the order. */
export type InstallFailureCode =
  | 'card_not_selectable'
  | 'secure_channel_failed'
  | 'card_memory_full'
  | 'dap_refused'
  | 'load_refused'
  | 'install_refused'
  | 'already_on_card'
  | 'no_response'
  | 'confirmation_missing'
  | 'confirmation_invalid'
  | 'card_mismatch'
  | 'resources_unreadable'
  | 'local_agent_error';

export type DialogueStep =
  | { kind: 'send'; capdus: Uint8Array[] }
  | {
      kind: 'failed';
      code: InstallFailureCode;
      detail: string;
      delivered: boolean;
      /** FF21 as the card answered it under the secure channel after the refusal (authenticated), when it could be read. */
      resources?: CardResources;
    }
  | {
      kind: 'confirmed';
      /** INSTALL response data: confirmation and receipt, as verified. */
      confirmationBytes: Uint8Array;
      confirmation: Confirmation;
      resources: CardResources;
    };

type Stage = 'new' | 'authenticating' | 'installing' | 'done';

/**
 * Where a dialogue stands, as plain JSON: what another issuer instance needs to continue it. It holds
 * the SCP03 session keys once the card is authenticated, so it is sealed wherever it is stored. The
 * plan (card keys, application) is not in it: the issuer rebuilds that from its records.
 */
export interface DialogueState {
  stage: Stage;
  /** The host challenge of INITIALIZE UPDATE (hex): with the card's answer it gives the session keys. */
  hostChallenge: string;
  /** After EXTERNAL AUTHENTICATE: the session keys and that command as sent (the first MAC chaining value). */
  channel?: { sEnc: string; sMac: string; sRmac: string; externalAuthenticate: string };
  /** The script out at the card: how many commands, and the MAC chaining value and counter of each. */
  pending?: { count: number; snapshots: Array<{ mcv: string; counter: string }> };
  loadBlocks: number;
}

/**
 * The card side of remote management as the issuer scripts it (GPCS 9.3.5, 11.5, 11.6; AMD-D 7.1),
 * three SERAM exchanges long:
 * 1. SELECT the ISD, INITIALIZE UPDATE;
 * 2. EXTERNAL AUTHENTICATE, then under secure messaging DELETE of any leftovers of an interrupted
 *    earlier attempt (6A88 when none), INSTALL [for load] with the LFDB hash and
 *    memory needed, the LOAD blocks of the Load File (DAP block E2 for the ISD, then C4 LFDB),
 *    INSTALL [for install and make selectable], and GET DATA FF21 for the free memory after it.
 * 3. The responses decide: delivered when the card accepted every command; confirmed when the
 *    install confirmation's receipt verifies with the card's certified key over
 *    `confirmation data ‖ L ELF-AID L instance-AID` (GPCS C.5.2) and names this card.
 * Bytes in, bytes out: the SERAM routes carry them and the store records the outcome.
 */
export class InstallDialogue {
  #stage: Stage = 'new';
  readonly #host: Scp03HostSession;
  #channel: BatchedChannel | undefined;
  #pending: { count: number; snapshots: Array<{ mcv: Uint8Array; counter: bigint }> } | undefined;
  #loadBlocks = 0;
  /** EXTERNAL AUTHENTICATE as sent and the session keys: what the batched channel is rebuilt from. */
  #externalAuthenticate: Uint8Array | undefined;
  #sessionKeys: SessionKeys | undefined;

  constructor(
    readonly plan: InstallPlan,
    readonly options: { random: RandomSource; securityLevel: number; blockSize?: number },
    resumed?: DialogueState,
  ) {
    const keys = { enc: plan.keys.enc, mac: plan.keys.mac, dek: plan.keys.dek };
    this.#host = new Scp03HostSession({ keys, kvn: plan.keys.kvn, random: options.random, ...(resumed ? { hostChallenge: fromHex(resumed.hostChallenge) } : {}) });
    if (!resumed) return;
    this.#stage = resumed.stage;
    this.#loadBlocks = resumed.loadBlocks;
    if (resumed.channel) {
      const c = resumed.channel;
      this.#externalAuthenticate = fromHex(c.externalAuthenticate);
      this.#sessionKeys = { sEnc: fromHex(c.sEnc), sMac: fromHex(c.sMac), sRmac: fromHex(c.sRmac) };
      this.#channel = new BatchedChannel(this.#sessionKeys, this.#externalAuthenticate);
    }
    if (resumed.pending) this.#pending = { count: resumed.pending.count, snapshots: resumed.pending.snapshots.map((x) => ({ mcv: fromHex(x.mcv), counter: BigInt(x.counter) })) };
  }

  /** This dialogue as plain JSON (see DialogueState); `new InstallDialogue(plan, options, state)` continues it. */
  state(): DialogueState {
    const keys = this.#sessionKeys;
    return {
      stage: this.#stage,
      hostChallenge: toHex(this.#host.hostChallenge),
      ...(this.#channel && keys && this.#externalAuthenticate
        ? { channel: { sEnc: toHex(keys.sEnc), sMac: toHex(keys.sMac), sRmac: toHex(keys.sRmac), externalAuthenticate: toHex(this.#externalAuthenticate) } }
        : {}),
      ...(this.#pending ? { pending: { count: this.#pending.count, snapshots: this.#pending.snapshots.map((x) => ({ mcv: toHex(x.mcv), counter: x.counter.toString() })) } } : {}),
      loadBlocks: this.#loadBlocks,
    };
  }

  get stage(): Stage {
    return this.#stage;
  }

  /** The first commands: SELECT the ISD (plain), INITIALIZE UPDATE. */
  start(): DialogueStep {
    if (this.#stage !== 'new') throw new Error(`start() in stage ${this.#stage}`);
    this.#stage = 'authenticating';
    return { kind: 'send', capdus: [buildSelect(this.plan.isdAid), this.#host.initializeUpdateCommand()] };
  }

  /** The responses to the previous step's commands, in order; `undefined` where none came back. */
  next(responses: Array<Uint8Array | undefined>): DialogueStep {
    if (this.#stage === 'authenticating') return this.#afterAuthentication(responses);
    if (this.#stage === 'installing') return this.#afterInstall(responses);
    throw new Error(`next() in stage ${this.#stage}`);
  }

  #fail(code: InstallFailureCode, detail: string, delivered = false): DialogueStep {
    this.#stage = 'done';
    return { kind: 'failed', code, detail, delivered };
  }

  #afterAuthentication(responses: Array<Uint8Array | undefined>): DialogueStep {
    const [select, initUpdate] = responses;
    if (!select || select.length < 2) return this.#fail('no_response', 'no response to SELECT of the ISD');
    const s = parseResponseApdu(select);
    if (s.sw !== SW.SUCCESS) return this.#fail('card_not_selectable', `SELECT ${toHex(this.plan.isdAid)} answered ${swHex(s.sw)} (${swMeaning(s.sw)})`);
    if (!initUpdate || initUpdate.length < 2) return this.#fail('no_response', 'no response to INITIALIZE UPDATE');
    const iu = parseResponseApdu(initUpdate);
    if (iu.sw !== SW.SUCCESS) return this.#fail('secure_channel_failed', `INITIALIZE UPDATE answered ${swHex(iu.sw)} (${swMeaning(iu.sw)})`);
    let externalAuthenticate: Uint8Array;
    try {
      this.#host.processInitializeUpdateResponse(iu.data);
      externalAuthenticate = this.#host.externalAuthenticateCommand(this.options.securityLevel);
      this.#sessionKeys = this.#host.sessionKeys!;
      this.#channel = new BatchedChannel(this.#sessionKeys, externalAuthenticate);
      this.#externalAuthenticate = externalAuthenticate;
    } catch (err) {
      if (err instanceof Scp03Error) return this.#fail('secure_channel_failed', `INITIALIZE UPDATE: ${err.message}`);
      throw err;
    }
    const p = this.plan;
    const loadFile = buildLoadFile(p.lfdb, [{ sdAid: p.isdAid, signature: p.dapSignature }]);
    const loads = buildLoadCommands(loadFile, this.options.blockSize ?? 239);
    this.#loadBlocks = loads.length;
    const plain = [
      // Restarting an interrupted order: whatever an earlier attempt left under this package AID (a load
      // whose install was cut by a power loss) goes first; 6A88 means there was nothing to remove.
      buildDelete(p.loadFileAid, { related: true }),
      buildInstallForLoad({ loadFileAid: p.loadFileAid, sdAid: p.isdAid, lfdbHash: p.lfdbHash, loadParameters: { nonVolatileCode: p.memoryNeeded } }),
      ...loads,
      buildInstallForInstall({
        loadFileAid: p.loadFileAid,
        moduleAid: p.moduleAid,
        instanceAid: p.instanceAid,
        privileges: p.privileges,
        applicationParameters: p.applicationParameters,
        makeSelectable: true,
      }),
      buildGetData(0xff21),
    ];
    const { wrapped, snapshots } = this.#channel.wrapAll(plain);
    this.#pending = { count: plain.length, snapshots };
    this.#stage = 'installing';
    return { kind: 'send', capdus: [externalAuthenticate, ...wrapped] };
  }

  #afterInstall(responses: Array<Uint8Array | undefined>): DialogueStep {
    const pending = this.#pending!;
    const channel = this.#channel!;
    const ea = responses[0];
    if (!ea || ea.length < 2) return this.#fail('no_response', 'no response to EXTERNAL AUTHENTICATE');
    const eaSw = parseResponseApdu(ea).sw;
    if (eaSw !== SW.SUCCESS) return this.#fail('secure_channel_failed', `EXTERNAL AUTHENTICATE answered ${swHex(eaSw)} (${swMeaning(eaSw)})`);

    // Plain responses (data ‖ SW) of INSTALL [for load], each LOAD, INSTALL [for install], GET DATA; the
    // DELETE of an earlier attempt's leftovers comes first and is not part of the install proper.
    const plain: Uint8Array[] = [];
    for (let i = 0; i < pending.count; i++) {
      const r = responses[i + 1];
      const what = i === 0 ? 'DELETE (earlier attempt)' : this.#commandName(i - 1);
      if (!r || r.length < 2) return this.#fail('no_response', `no response to ${what}`, false);
      let answer: Uint8Array;
      try {
        answer = channel.unwrap(r, pending.snapshots[i]!);
      } catch (err) {
        if (err instanceof Scp03Error) return this.#fail('secure_channel_failed', `${what}: ${err.message}`, i - 1 > this.#loadBlocks);
        throw err;
      }
      const { sw } = parseResponseApdu(answer);
      if (i === 0) {
        if (sw !== SW.SUCCESS && sw !== SW.REFERENCED_DATA_NOT_FOUND) return this.#fail('load_refused', `DELETE of an earlier attempt's leftovers answered ${swHex(sw)} (${swMeaning(sw)})`);
        continue;
      }
      plain.push(answer);
      if (sw !== SW.SUCCESS) {
        const failed = this.#refused(i - 1, sw);
        const resources = this.#resourcesAfterRefusal(responses);
        return failed.kind === 'failed' && resources ? { ...failed, resources } : failed;
      }
    }

    const p = this.plan;
    // The last LOAD may carry a load confirmation; if it does, it must be genuine too (GPCS C.5.1).
    const lastLoad = parseResponseApdu(plain[this.#loadBlocks]!).data;
    if (lastLoad.length > 0 && !(lastLoad.length === 1 && lastLoad[0] === 0)) {
      const load = this.#checkConfirmation(lastLoad, RECEIPT_CONTEXT.load(p.loadFileAid, p.isdAid), 'load');
      if (load.kind === 'failed') return load;
    }
    const installData = parseResponseApdu(plain[this.#loadBlocks + 1]!).data;
    const checked = this.#checkConfirmation(installData, RECEIPT_CONTEXT.install(p.loadFileAid, p.instanceAid), 'install');
    if (checked.kind === 'failed') return checked;
    let resources: CardResources;
    try {
      resources = parseCardResources(parseResponseApdu(plain[this.#loadBlocks + 2]!).data);
    } catch (err) {
      return this.#fail('resources_unreadable', `FF21 after the install: ${(err as Error).message}`, true);
    }
    this.#stage = 'done';
    return { kind: 'confirmed', confirmationBytes: installData, confirmation: checked.confirmation, resources };
  }

  /**
   * The last command of the script, GET DATA FF21, still runs after a refused one (the Local Agent sends
   * the whole script and a refusal does not end the session, GPCS 10.2.3): its R-MACed answer is the
   * free memory as the card authenticated it, which the issuer may record even though the order failed.
   */
  #resourcesAfterRefusal(responses: Array<Uint8Array | undefined>): CardResources | undefined {
    const pending = this.#pending!;
    const last = responses[pending.count];
    if (!last || last.length < 2 || this.options.securityLevel < 0x11) return undefined;
    try {
      const answer = parseResponseApdu(this.#channel!.unwrap(last, pending.snapshots[pending.count - 1]!));
      return answer.sw === SW.SUCCESS ? parseCardResources(answer.data) : undefined;
    } catch {
      return undefined;
    }
  }

  #checkConfirmation(data: Uint8Array, operationData: Uint8Array, what: 'load' | 'install'): { kind: 'ok'; confirmation: Confirmation } | Extract<DialogueStep, { kind: 'failed' }> {
    let confirmation: Confirmation | undefined;
    try {
      confirmation = parseConfirmation(data);
    } catch (err) {
      return this.#fail('confirmation_invalid', `${what} confirmation is malformed: ${(err as Error).message}`, true) as Extract<DialogueStep, { kind: 'failed' }>;
    }
    if (!confirmation) return this.#fail('confirmation_missing', `the card answered no ${what} confirmation (00)`, true) as Extract<DialogueStep, { kind: 'failed' }>;
    if (!equalBytes(confirmation.sdUniqueData, this.plan.sdUniqueData)) {
      return this.#fail('card_mismatch', `${what} confirmation names SD unique data ${toHex(confirmation.sdUniqueData)}, not this card's`, true) as Extract<DialogueStep, { kind: 'failed' }>;
    }
    if (!verifyReceipt({ type: 'ecdsa', ...this.plan.cardKey }, confirmation, operationData)) {
      return this.#fail('confirmation_invalid', `the ${what} receipt does not verify with the card's certified key`, true) as Extract<DialogueStep, { kind: 'failed' }>;
    }
    const last = this.plan.lastConfirmationCounter;
    if (what === 'install' && last !== null && confirmation.counter <= last) {
      return this.#fail('confirmation_invalid', `confirmation counter ${confirmation.counter} is not above ${last}, seen before: a replayed confirmation`, true) as Extract<DialogueStep, { kind: 'failed' }>;
    }
    return { kind: 'ok', confirmation };
  }

  #commandName(i: number): string {
    if (i === 0) return 'INSTALL [for load]';
    if (i <= this.#loadBlocks) return `LOAD block ${i - 1}`;
    if (i === this.#loadBlocks + 1) return 'INSTALL [for install and make selectable]';
    return 'GET DATA FF21';
  }

  /** Maps the first refused command and its status word to a failure (GPCS Tables 11-55, 11-60). */
  #refused(i: number, sw: number): DialogueStep {
    const what = this.#commandName(i);
    const detail = `${what} answered ${swHex(sw)} (${swMeaning(sw)})`;
    if (sw === SW.NOT_ENOUGH_MEMORY) return this.#fail('card_memory_full', detail);
    if (i === 0) return this.#fail(sw === SW.CONDITIONS_NOT_SATISFIED ? 'already_on_card' : 'load_refused', detail);
    if (i === this.#loadBlocks && sw === SW.SECURITY_STATUS_NOT_SATISFIED) return this.#fail('dap_refused', detail);
    if (i <= this.#loadBlocks) return this.#fail('load_refused', detail);
    if (i === this.#loadBlocks + 1) return this.#fail('install_refused', detail);
    return this.#fail('resources_unreadable', detail, true);
  }
}

/** Bytes of the C-APDUs of a step as SERAM wants them: upper-case hex. */
export function apdusToHex(capdus: Uint8Array[]): string[] {
  return capdus.map((c) => toHex(c));
}
