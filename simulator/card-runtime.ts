import type { RandomSource } from '../protocol/crypto/random-source.ts';
import type { Scp03CardSession } from '../protocol/gp/scp03/index.ts';
import type { PersistentStore } from './storage/index.ts';
import type { CardProfile } from './profile/card-profile.ts';
import type { CardEvent } from './card-setup.ts';
import type { Registry } from './registry.ts';
import type { PendingLoad } from './content/pending-load.ts';
import type { AppletContext, AppletModel } from './applets/index.ts';

/** Where a GET STATUS with P2 "next" continues after a 6310 (GPCS 11.4.2.2). */
export interface StatusCursor {
  p1: number;
  /** The criteria bytes of the first command: a "next" must repeat them. */
  criteria: string;
  /** Index of the first entry not yet returned. */
  next: number;
}

/** What a command handler may see and do on the card: the one door between handlers and card internals. */
export interface CardRuntime {
  readonly profile: CardProfile;
  readonly store: PersistentStore;
  readonly random: RandomSource;
  readonly scp: Scp03CardSession;
  readonly registry: Registry;
  /** True when the machine's current state carries that tag (see card-machine.ts). */
  hasTag(tag: string): boolean;
  /** Sends an event to the card machine. */
  send(event: CardEvent): void;
  /** Would the machine take this event now? */
  can(event: CardEvent): boolean;
  /** Card life cycle byte, as the machine holds it. */
  readonly lifeCycle: number;
  /** AID of the selected application. */
  selectedAid: Uint8Array;
  statusCursor: StatusCursor | undefined;
  /** The ISD's FCI, built once per power-up. */
  readonly isdFci: Uint8Array;
  /** Ends the secure channel session (security failure, SELECT, new INITIALIZE UPDATE). */
  closeSession(): void;
  /** A load between INSTALL [for load] and its last LOAD block (volatile). */
  pendingLoad: PendingLoad | undefined;
  /** The applet model registered for an applet class AID, if any. */
  appletModelFor(moduleAid: Uint8Array): AppletModel | undefined;
  /** The persistent-state view an applet instance works with. */
  appletContext(instanceAid: Uint8Array): AppletContext;
  /** Free transient memory reported in FF21/83. */
  freeTransientMemory(): number;
}
