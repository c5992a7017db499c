import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { concat, equalBytes, toHex } from '../../protocol/bytes.ts';
import { parseLoadFile, LoadFileError, type DapBlockEntry } from '../../protocol/gp/commands/index.ts';
import { sha1, sha256 } from '../../protocol/crypto/index.ts';
import { verifyDap } from '../../protocol/gp/dap.ts';
import { RECEIPT_CONTEXT } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse, CommandContext } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { issueConfirmation } from '../content/confirmations.ts';
import { encodeLoadFile, nextSequence, storedLoadFiles } from '../content/content-records.ts';
import { readLoadFileDataBlock, CapError, type LoadFileInfo } from '../../protocol/cap/index.ts';
import type { PendingLoad } from '../content/pending-load.ts';
import { OBJECT_OVERHEAD } from '../storage/index.ts';
import { STORE_KEY } from '../storage-keys.ts';

const NO_CONFIRMATION = new Uint8Array([0x00]);
/** Bytes the ELF's registry record takes besides its modules (AIDs, version, SD, sequence; see content-records.ts). */
const RECORD_ESTIMATE = 64;

/** The Load File's DAP blocks and LFDB (the C4 value, exactly as received); 6A80 when it is malformed. */
function splitLoadFile(loadFile: Uint8Array): { dapBlocks: DapBlockEntry[]; lfdb: Uint8Array } {
  try {
    const { dapBlocks, loadFileDataBlock } = parseLoadFile(loadFile);
    return { dapBlocks, lfdb: loadFileDataBlock };
  } catch (err) {
    if (err instanceof LoadFileError) throw new CardStatusError(SW.INCORRECT_DATA, err.message);
    throw err;
  }
}

/** Java Card linking as far as a registry can tell: every imported package must be on the card at a compatible version. */
function checkImports(card: CardRuntime, info: LoadFileInfo): void {
  const available = [
    ...card.profile.preloaded.map((p) => ({ aid: p.aid, version: p.version })),
    ...storedLoadFiles(card.store).map((e) => ({ aid: e.aid, version: e.version })),
  ];
  for (const imp of info.imports) {
    const pkg = available.find((a) => equalBytes(a.aid, imp.aid));
    if (!pkg || pkg.version[0] !== imp.major || pkg.version[1]! < imp.minor) {
      throw new CardStatusError(SW.IMPORTED_PACKAGE_NOT_AVAILABLE, `imported package ${toHex(imp.aid)} ${imp.major}.${imp.minor} is not on the card`);
    }
  }
}

/** The last block: hash, DAP, linking, then ONE transaction storing the ELF and answering the load confirmation (GPCS 9.3.5). */
function completeLoad(card: CardRuntime, load: PendingLoad): CardResponse {
  const { dapBlocks, lfdb } = splitLoadFile(concat(...load.blocks));
  if (load.lfdbHash) {
    const hash = load.lfdbHash.length === 20 ? sha1(lfdb) : sha256(lfdb);
    if (!equalBytes(hash, load.lfdbHash)) throw new CardStatusError(SW.INCORRECT_DATA, 'the Load File Data Block does not match its hash');
  }
  for (const block of dapBlocks) if (!card.registry.isIsd(block.sdAid)) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `DAP block for unknown Security Domain ${toHex(block.sdAid)}`);
  const dap = card.profile.dap;
  if (dap) {
    const own = dapBlocks.find((b) => card.registry.isIsd(b.sdAid));
    if (!own && dap.required) throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, 'no DAP block for the ISD, which mandates DAP verification');
    if (own && !load.lfdbHash) throw new CardStatusError(SW.INCORRECT_DATA, 'a DAP block needs the Load File Data Block Hash of INSTALL [for load]');
    if (own && !verifyDap(dap.key, load.lfdbHash!, own.signature)) throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, 'the DAP signature does not verify');
  }
  let info: LoadFileInfo;
  try {
    info = readLoadFileDataBlock(lfdb);
  } catch (err) {
    if (err instanceof CapError) throw new CardStatusError(SW.INCORRECT_DATA, err.message);
    throw err;
  }
  if (!equalBytes(info.packageAid, load.loadFileAid)) throw new CardStatusError(SW.INCORRECT_DATA, `the Load File's package AID ${toHex(info.packageAid)} is not the one INSTALL [for load] named`);
  checkImports(card, info);
  return card.store.transaction(() => {
    card.store.write(
      STORE_KEY.elf(load.loadFileAid),
      encodeLoadFile({
        aid: load.loadFileAid,
        version: Uint8Array.of(info.packageVersion.major, info.packageVersion.minor),
        associatedSd: load.sdAid,
        modules: info.applets.map((a) => a.aid),
        sequence: nextSequence(card.store),
      }),
    );
    card.store.write(STORE_KEY.elfCode(load.loadFileAid), lfdb);
    return { data: issueConfirmation(card, RECEIPT_CONTEXT.load(load.loadFileAid, load.sdAid)), sw: SW.SUCCESS };
  });
}

/**
 * LOAD (GPCS 11.6): blocks numbered 00, 01, … in strict sequence (6985 otherwise) after INSTALL [for load]; P1 80 marks
 * the last. Blocks are assembled in the card's system buffer; a load that could not fit in the free
 * persistent memory is refused (6A84) at the block that overflows it. Any refusal ends the load and
 * nothing of it remains. The last block answers the load confirmation.
 */
export const loadHandler: CommandHandler = {
  name: 'LOAD',
  ins: INS.LOAD,
  requires: { cla: 'gp', session: 'content', lifeCycle: 'may.manage' },
  handle(ctx: CommandContext): CardResponse {
    const { card, apdu } = ctx;
    const load = card.pendingLoad;
    if (!load) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'LOAD without a preceding INSTALL [for load]');
    // Any refusal below ends the load: nothing of it remains (GPCS 9.3.5).
    const refuse = (sw: number, message: string): never => {
      card.endLoad();
      throw new CardStatusError(sw, message);
    };
    if (apdu.p1 !== 0x00 && apdu.p1 !== 0x80) refuse(SW.INCORRECT_P1P2, 'P1 must be 00 (more blocks) or 80 (last block)');
    const block = { type: 'LOAD_BLOCK', channel: card.channel, block: apdu.p2, last: apdu.p1 === 0x80, data: apdu.data.slice() } as const;
    // An out-of-sequence block breaks the load sequence: conditions of use not satisfied (reference §7.1).
    if (!card.can(block)) refuse(SW.CONDITIONS_NOT_SATISFIED, `block ${apdu.p2} out of sequence, expected ${load.nextBlock}`);
    if (apdu.data.length === 0) refuse(SW.WRONG_LENGTH, 'an empty LOAD block');
    const size = load.size + apdu.data.length;
    if (size + 2 * OBJECT_OVERHEAD + RECORD_ESTIMATE > card.store.freeBytes()) refuse(SW.NOT_ENOUGH_MEMORY, `the Load File exceeds the ${card.store.freeBytes()} bytes free`);
    if (!block.last && load.nextBlock + 1 > 0xff) refuse(SW.INCORRECT_P1P2, 'more than 256 LOAD blocks');
    const complete: PendingLoad = { ...load, blocks: [...load.blocks, block.data], size, nextBlock: load.nextBlock + 1 };
    card.send(block);
    if (block.last) return completeLoad(card, complete);
    return { data: NO_CONFIRMATION, sw: SW.SUCCESS };
  },
};
