/**
 * A load in progress, between INSTALL [for load] and the last LOAD block. It lives in the card's
 * system buffer, not in persistent memory: the Load File is committed in one transaction at the last
 * block, so a power loss anywhere in the sequence leaves nothing of it stored and no memory leaked
 * (GPCS 9.3.5 asks the OPEN to reclaim memory on any failure; here there is nothing to reclaim).
 */
export interface PendingLoad {
  loadFileAid: Uint8Array;
  sdAid: Uint8Array;
  lfdbHash: Uint8Array | undefined;
  /** Declared minimum persistent memory (C6 + C8), checked at INSTALL [for load]. */
  declaredSize: number;
  nextBlock: number;
  blocks: Uint8Array[];
  size: number;
}
