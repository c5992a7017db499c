import { equalBytes } from '../protocol/bytes.ts';
import type { RegistryEntry } from '../protocol/gp/data/index.ts';
import { ELF_LOADED, APP_SELECTABLE } from '../protocol/gp/data/index.ts';
import type { PersistentStore } from './storage/index.ts';
import type { CardProfile } from './profile/card-profile.ts';
import { STORE_KEY } from './storage-keys.ts';
import { PRIVILEGE, hasPrivilege, withoutPrivilege } from './content/privileges.ts';
import { storedApplications, storedLoadFiles, type ApplicationRecord } from './content/content-records.ts';

/**
 * The GlobalPlatform Registry as GET STATUS and SELECT see it (GPCS 6.5): the ISD (its life cycle is
 * the card's), Executable Load Files (ROM packages from the profile, then loaded ones) and
 * applications. Built on demand from the profile and persistent memory, never cached, so it can never
 * disagree with what is stored.
 */
export class Registry {
  constructor(
    private readonly profile: CardProfile,
    private readonly store: PersistentStore,
  ) {}

  /**
   * The ISD entry: life cycle = card life cycle, privileges from personalisation — without Card Reset while an
   * application holds it (GPCS 2.3.1 §6.6.1.5: one holder per interface; the ISD has it when no application does).
   */
  isd(): RegistryEntry {
    const personalised = this.store.get(STORE_KEY.ISD_PRIVILEGES) ?? this.profile.isdPrivileges;
    const held = this.applicationRecords().some((a) => hasPrivilege(a.privileges, PRIVILEGE.CARD_RESET));
    return {
      aid: this.profile.isdAid,
      lifeCycle: this.store.get(STORE_KEY.LIFE_CYCLE)?.[0] ?? this.profile.lifeCycle,
      privileges: held ? withoutPrivilege(personalised, PRIVILEGE.CARD_RESET) : personalised,
    };
  }

  /**
   * The application implicitly selected on the basic channel after a reset (GPCS 2.3.1 §6.6.1.5, §11.9.2): the one
   * holding Card Reset, when it is SELECTABLE and not locked; undefined means the ISD.
   */
  implicitlySelectedApplication(): ApplicationRecord | undefined {
    return this.applicationRecords().find((a) => hasPrivilege(a.privileges, PRIVILEGE.CARD_RESET) && (a.lifeCycle & 0x87) === APP_SELECTABLE);
  }

  /** Executable Load Files: ROM ones first (associated with the ISD), then loaded ones in load order. */
  loadFiles(): RegistryEntry[] {
    const rom = this.profile.preloaded.map((p) => ({
      aid: p.aid,
      lifeCycle: ELF_LOADED,
      version: p.version,
      modules: p.modules,
      associatedSd: this.profile.isdAid,
    }));
    const loaded = storedLoadFiles(this.store).map((e) => ({
      aid: e.aid,
      lifeCycle: ELF_LOADED,
      version: e.version,
      modules: e.modules,
      associatedSd: e.associatedSd,
    }));
    return [...rom, ...loaded];
  }

  /** Application instances in install order, as GET STATUS P1 = 40 lists them. */
  applications(): RegistryEntry[] {
    return this.applicationRecords().map((a) => ({
      aid: a.aid,
      lifeCycle: a.lifeCycle,
      privileges: a.privileges,
      elfAid: a.elfAid,
      associatedSd: a.associatedSd,
    }));
  }

  /** The stored application records (with their module AID and parameters). */
  applicationRecords(): ApplicationRecord[] {
    return storedApplications(this.store);
  }

  /** Number of installed application instances, for FF21/81. */
  installedApplicationCount(): number {
    return this.applications().length;
  }

  /** Is this AID the ISD's? */
  isIsd(aid: Uint8Array): boolean {
    return equalBytes(aid, this.profile.isdAid);
  }
}
