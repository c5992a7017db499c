import type { CommandApdu } from '../../protocol/apdu/index.ts';
import type { RandomSource } from '../../protocol/crypto/random-source.ts';
import type { AppletDescription } from '../../protocol/describe.ts';
import type { CardResponse } from '../dispatch.ts';

/**
 * What an applet model sees of the card: its own persistent fields (stored under the instance,
 * charged to the card's memory and covered by its transactions and tearing), a transaction, the
 * card's random source.
 */
export interface AppletContext {
  readonly instanceAid: Uint8Array;
  get(field: string): Uint8Array | undefined;
  write(field: string, value: Uint8Array): void;
  /** Runs `fn` atomically: every write in it is committed together or not at all. */
  transaction<T>(fn: () => T): T;
  readonly random: RandomSource;
}

/**
 * The behaviour of an installed applet class, registered under its class (Executable Module) AID.
 * Handlers answer with a CardResponse or throw CardStatusError, like the card's own commands.
 */
export interface AppletModel {
  readonly name: string;
  /** The applet class AID (the module AID named in INSTALL [for install]). */
  readonly moduleAid: Uint8Array;
  /** The applet's install(): validates its C9 parameters and writes its initial state. */
  install(ctx: AppletContext, parameters: Uint8Array): void;
  /** The applet's select(); default: `9000`, no data. */
  select?(ctx: AppletContext): CardResponse;
  /** Every command while the applet is selected, SELECT by name excepted. */
  process(ctx: AppletContext, apdu: CommandApdu): CardResponse;
  /** The names of its instructions and data, for traces and annotations (`CREDIT amount 100` rather than `INS 52`). */
  readonly describe?: AppletDescription;
}
