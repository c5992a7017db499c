import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { equalBytes, toHex } from '../../protocol/bytes.ts';
import { parseDeleteData, DeleteDataError } from '../../protocol/gp/commands/index.ts';
import { RECEIPT_CONTEXT } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse, CommandContext } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { issueConfirmation } from '../content/confirmations.ts';
import { applicationKeys, findApplication, findLoadFile, storedApplications, storedLoadFiles } from '../content/content-records.ts';
import { readLoadFileDataBlock } from '../../protocol/cap/index.ts';
import { STORE_KEY } from '../storage-keys.ts';

/**
 * The AID of a card-content DELETE (`4F <AID> [B6 …] [9E …]`, GPCS 11.2.2.3), parsed by the shared strict
 * parser: malformed data is 6A80; a delete token is Delegated Management, which this ISD does not do
 * (6A80); key deletion (D0/D2) is not supported (6A88).
 */
function deletedAid(data: Uint8Array): Uint8Array {
  let parsed;
  try {
    parsed = parseDeleteData(data);
  } catch (err) {
    if (err instanceof DeleteDataError) throw new CardStatusError(SW.INCORRECT_DATA, err.message);
    throw err;
  }
  if (parsed.target === 'key') throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, 'key deletion is not supported');
  if (parsed.token || parsed.crt) throw new CardStatusError(SW.INCORRECT_DATA, 'delete tokens are for Delegated Management');
  return parsed.aid;
}

/**
 * The other loaded ELFs that import `aid`, read from their stored Load File Data Blocks (the Import component,
 * checked at LOAD with 6438): while one lives, the ELF it imports cannot be deleted (GPCS 11.2.2.3, 9.5.2).
 */
function importersOf(card: CardRuntime, aid: Uint8Array): Uint8Array[] {
  return storedLoadFiles(card.store)
    .filter((elf) => !equalBytes(elf.aid, aid))
    .filter((elf) => readLoadFileDataBlock(card.store.get(STORE_KEY.elfCode(elf.aid))!).imports.some((imp) => equalBytes(imp.aid, aid)))
    .map((elf) => elf.aid);
}

function removeApplication(card: CardRuntime, aid: Uint8Array): void {
  for (const key of applicationKeys(card.store, aid)) card.store.remove(key);
}

/**
 * DELETE (GPCS 11.2) of card content: an application instance (its record and all its applet data),
 * or an Executable Load File — refused (6985) while instances of it live, unless P2 = 80 "and related
 * objects" deletes them with it. An ELF another loaded ELF imports is refused (6985) with either P2, and nothing
 * changes (GPCS 11.2.2.3, 9.5.2). Unknown AID: 6A88. The ISD and ROM packages cannot be deleted (6985).
 * One transaction; the response is the delete confirmation.
 */
export const deleteHandler: CommandHandler = {
  name: 'DELETE',
  ins: INS.DELETE,
  requires: { cla: 'gp', session: 'content', lifeCycle: 'may.manage' },
  handle(ctx: CommandContext): CardResponse {
    const { card, apdu } = ctx;
    if (apdu.p1 & 0x80) throw new CardStatusError(SW.INCORRECT_P1P2, 'DELETE chaining is not supported');
    if (apdu.p1 !== 0x00 || (apdu.p2 !== 0x00 && apdu.p2 !== 0x80)) throw new CardStatusError(SW.INCORRECT_P1P2, 'P1 must be 00 and P2 00 or 80');
    const aid = deletedAid(apdu.data);
    const related = apdu.p2 === 0x80;
    if (card.registry.isIsd(aid)) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'the ISD cannot be deleted');
    if (card.profile.preloaded.some((p) => equalBytes(p.aid, aid))) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `${toHex(aid)} is in ROM and cannot be deleted`);
    card.endLoad();
    if (findApplication(card.store, aid)) {
      return card.store.transaction(() => {
        removeApplication(card, aid);
        return { data: issueConfirmation(card, RECEIPT_CONTEXT.delete(aid)), sw: SW.SUCCESS };
      });
    }
    if (!findLoadFile(card.store, aid)) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `nothing registered under ${toHex(aid)}`);
    const importers = importersOf(card, aid);
    if (importers.length > 0) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `${toHex(aid)} is imported by ${importers.map((a) => toHex(a)).join(', ')}`);
    const instances = storedApplications(card.store).filter((a) => equalBytes(a.elfAid, aid));
    if (instances.length > 0 && !related) {
      throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `${instances.length} instance(s) of ${toHex(aid)} still exist; delete them first or use P2 = 80`);
    }
    return card.store.transaction(() => {
      for (const app of instances) removeApplication(card, app.aid);
      card.store.remove(STORE_KEY.elf(aid));
      card.store.remove(STORE_KEY.elfCode(aid));
      return { data: issueConfirmation(card, RECEIPT_CONTEXT.delete(aid)), sw: SW.SUCCESS };
    });
  },
};
