import type { RandomSource } from '../protocol/crypto/random-source.ts';
import type { Scp03CardSession } from '../protocol/gp/scp03/index.ts';
import type { PersistentStore } from './storage/index.ts';
import type { CardProfile } from './profile/card-profile.ts';
import type { CardEvent, ChannelNumber, ChannelTagName, CommandChain, StatusCursor, Tag } from './card-setup.ts';
import type { Registry } from './registry.ts';
import type { PendingLoad } from './content/pending-load.ts';
import type { AppletContext, AppletModel } from './applets/index.ts';

export type { StatusCursor } from './card-setup.ts';

/**
 * What a command handler may see and do on the card: the one door between handlers and card internals.
 * "Current" means the logical channel the command being processed arrived on.
 */
export interface CardRuntime {
  readonly profile: CardProfile;
  readonly store: PersistentStore;
  readonly random: RandomSource;
  readonly registry: Registry;
  /** The logical channel of the command being processed (0 outside a command). */
  readonly channel: ChannelNumber;
  /** The secure channel session of the current channel (its keys and counters; its state is the machine's). */
  readonly scp: Scp03CardSession;
  /** The secure channel session of channel `n`. */
  sessionOf(n: ChannelNumber): Scp03CardSession;
  /**
   * True when the machine's current state carries that tag (see card-machine.ts). A channel tag named
   * without its prefix (`'scp.authenticated'`) is asked of the current channel.
   */
  hasTag(tag: Tag | ChannelTagName): boolean;
  /** Sends an event to the card machine. */
  send(event: CardEvent): void;
  /**
   * Sends an event and answers whether the machine took it (a refused event leaves the snapshot as it was):
   * asking and telling in one step, for a command whose checks are all done.
   */
  take(event: CardEvent): boolean;
  /** Runs a single atomic write whose event the machine already had (`persists` on the command's event): no TX_ATOMIC for it. */
  writeToldAlready(write: () => void): void;
  /** Would the machine take this event now (its guards included)? */
  can(event: CardEvent): boolean;
  /** Card life cycle byte, as the machine holds it. */
  readonly lifeCycle: number;
  /** AID of the application selected on the current channel. */
  readonly selectedAid: Uint8Array;
  /** AID selected on channel `n` (the ISD on a closed channel). */
  selectedOn(n: ChannelNumber): Uint8Array;
  /** The GET STATUS continuation of the current channel (after 6310). */
  readonly statusCursor: StatusCursor | undefined;
  /** The ISO command chain the current channel is collecting. */
  chainOnChannel(): CommandChain | undefined;
  /** The load of the current channel between INSTALL [for load] and its last LOAD block (volatile). */
  readonly pendingLoad: PendingLoad | undefined;
  /** The ISD's FCI, built once per power-up. */
  readonly isdFci: Uint8Array;
  /** Ends the current channel's secure channel session (security failure, SELECT, new INITIALIZE UPDATE). */
  closeSession(): void;
  /**
   * INITIALIZE UPDATE ends the current session before anything else: its keys are dropped now, and the
   * machine is told when the command is done — by the new session's INITIALIZE_UPDATE event, which leaves
   * any session state itself, or by SECURE_CHANNEL_ABORTED when the command was refused.
   */
  restartSession(): void;
  /** Ends the current channel's load sequence, if one is in progress. */
  endLoad(): void;
  /** The applet model registered for an applet class AID, if any. */
  appletModelFor(moduleAid: Uint8Array): AppletModel | undefined;
  /** The persistent-state view an applet instance works with. */
  appletContext(instanceAid: Uint8Array): AppletContext;
  /** Free transient memory reported in FF21/83. */
  freeTransientMemory(): number;
}
