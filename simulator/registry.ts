import { equalBytes } from '../protocol/bytes.ts';
import type { RegistryEntry } from '../protocol/gp/data/index.ts';
import { ELF_LOADED } from '../protocol/gp/data/index.ts';
import type { PersistentStore } from './storage/index.ts';
import type { CardProfile } from './profile/card-profile.ts';
import { STORE_KEY } from './storage-keys.ts';

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

  /** The ISD entry: life cycle = card life cycle, privileges from personalisation. */
  isd(): RegistryEntry {
    return {
      aid: this.profile.isdAid,
      lifeCycle: this.store.get(STORE_KEY.LIFE_CYCLE)?.[0] ?? this.profile.lifeCycle,
      privileges: this.store.get(STORE_KEY.ISD_PRIVILEGES) ?? this.profile.isdPrivileges,
    };
  }

  /** Executable Load Files, ROM ones first, each associated with the ISD. */
  loadFiles(): RegistryEntry[] {
    return this.profile.preloaded.map((p) => ({
      aid: p.aid,
      lifeCycle: ELF_LOADED,
      version: p.version,
      modules: p.modules,
      associatedSd: this.profile.isdAid,
    }));
  }

  /** Applications and Supplementary Security Domains (none until content is loaded and installed). */
  applications(): RegistryEntry[] {
    return [];
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
