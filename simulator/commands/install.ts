import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import { equalBytes, toHex } from '../../protocol/bytes.ts';
import { parseInstallData, InstallDataError, INSTALL_P1 } from '../../protocol/gp/commands/index.ts';

const SUPPORTED_ROLES = new Set<number>([INSTALL_P1.FOR_LOAD, INSTALL_P1.FOR_INSTALL, INSTALL_P1.FOR_MAKE_SELECTABLE, INSTALL_P1.FOR_INSTALL_AND_MAKE_SELECTABLE]);
import { RECEIPT_CONTEXT, APP_INSTALLED, APP_SELECTABLE } from '../../protocol/gp/data/index.ts';
import type { CommandHandler, CardResponse, CommandContext } from '../dispatch.ts';
import type { CardRuntime } from '../card-runtime.ts';
import { issueConfirmation } from '../content/confirmations.ts';
import { findApplication, findLoadFile, encodeApplication, nextSequence } from '../content/content-records.ts';
import { STORE_KEY } from '../storage-keys.ts';
import { PRIVILEGE, APPLICATION_PRIVILEGES, hasPrivilege, hasUnassignablePrivilege, threeBytePrivileges, withoutPrivilege } from '../content/privileges.ts';

const NO_CONFIRMATION = new Uint8Array([0x00]);

function isRegistered(card: CardRuntime, aid: Uint8Array): boolean {
  return (
    card.registry.isIsd(aid) ||
    card.store.has(STORE_KEY.elf(aid)) ||
    card.store.has(STORE_KEY.app(aid)) ||
    card.profile.preloaded.some((p) => equalBytes(p.aid, aid))
  );
}

function forLoad(card: CardRuntime, d: Extract<ReturnType<typeof parseInstallData>, { role: 'load' }>): CardResponse {
  if (isRegistered(card, d.loadFileAid)) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `AID ${toHex(d.loadFileAid)} is already registered`);
  const sdAid = d.sdAid.length === 0 ? card.profile.isdAid : d.sdAid;
  if (!card.registry.isIsd(sdAid)) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `no Security Domain ${toHex(sdAid)}`);
  if (d.token.length !== 0) throw new CardStatusError(SW.INCORRECT_DATA, 'load tokens are for Delegated Management, which this ISD does not perform');
  if (card.profile.dap && (!d.lfdbHash || d.lfdbHash.length === 0)) throw new CardStatusError(SW.INCORRECT_DATA, 'a Load File Data Block Hash is mandatory when DAP verification applies');
  if (d.lfdbHash && d.lfdbHash.length !== 0 && d.lfdbHash.length !== 32 && d.lfdbHash.length !== 20) {
    throw new CardStatusError(SW.INCORRECT_DATA, 'the Load File Data Block Hash must be SHA-256 (32 bytes) or SHA-1 (20 bytes)');
  }
  const p = d.loadParameters;
  const declared = (p.nonVolatileCode ?? 0) + (p.nonVolatileData ?? 0);
  // GPCS 9.7: the minimum memory must be available now (it is not reserved).
  if (declared > card.store.freeBytes()) throw new CardStatusError(SW.NOT_ENOUGH_MEMORY, `${declared} bytes declared, ${card.store.freeBytes()} free`);
  const load = { loadFileAid: d.loadFileAid, sdAid, lfdbHash: d.lfdbHash && d.lfdbHash.length ? d.lfdbHash : undefined, declaredSize: declared, nextBlock: 0, blocks: [], size: 0 };
  const event = { type: 'INSTALL_FOR_LOAD', channel: card.channel, load } as const;
  if (!card.can(event)) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'INSTALL [for load] needs the ISD selected in an authenticated session');
  card.send(event);
  return { data: NO_CONFIRMATION, sw: SW.SUCCESS };
}

/**
 * GPCS 2.3.1 §11.1.2 and Annex H.4: a privilege the card's Card Capability Information (GET DATA 67, tag 82)
 * does not offer to applications cannot be assigned; the INSTALL is refused as incorrect data (6A80).
 */
function requireAssignable(privileges: Uint8Array): void {
  if (hasUnassignablePrivilege(privileges)) {
    throw new CardStatusError(SW.INCORRECT_DATA, `privileges ${toHex(privileges)} go beyond those the card offers to applications (${toHex(APPLICATION_PRIVILEGES)})`);
  }
}

/**
 * GPCS 2.3.1 §6.6.1.5: one application holds Card Reset on an interface; granting it to `holder` takes it from
 * any other application (and from the ISD, whose registry entry shows it only while no application holds it).
 */
function takeCardReset(card: CardRuntime, holder: Uint8Array): void {
  for (const app of card.registry.applicationRecords()) {
    if (equalBytes(app.aid, holder) || !hasPrivilege(app.privileges, PRIVILEGE.CARD_RESET)) continue;
    card.store.write(STORE_KEY.app(app.aid), encodeApplication({ ...app, privileges: withoutPrivilege(app.privileges, PRIVILEGE.CARD_RESET) }));
  }
}

function forInstall(card: CardRuntime, d: Extract<ReturnType<typeof parseInstallData>, { role: 'install' }>): CardResponse {
  const elf = findLoadFile(card.store, d.loadFileAid);
  if (!elf) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `no Executable Load File ${toHex(d.loadFileAid)}`);
  if (!elf.modules.some((m) => equalBytes(m, d.moduleAid))) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `load file has no module ${toHex(d.moduleAid)}`);
  if (isRegistered(card, d.instanceAid)) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, `AID ${toHex(d.instanceAid)} is already registered`);
  if (d.token.length !== 0) throw new CardStatusError(SW.INCORRECT_DATA, 'install tokens are for Delegated Management');
  const privileges = threeBytePrivileges(d.privileges);
  if (hasPrivilege(privileges, PRIVILEGE.SECURITY_DOMAIN)) throw new CardStatusError(SW.INCORRECT_DATA, 'installing Supplementary Security Domains is not supported');
  requireAssignable(privileges);
  // GPCS 2.3.1 §11.5.2.3 (privileges of INSTALL [for install]) and §6.6.1.5: Card Reset makes its holder the
  // implicitly selected application, so it may only be assigned by an INSTALL that also makes it selectable.
  if (hasPrivilege(privileges, PRIVILEGE.CARD_RESET) && !d.makeSelectable) {
    throw new CardStatusError(SW.INCORRECT_DATA, 'the Card Reset privilege needs INSTALL [for install and make selectable]');
  }
  const model = card.appletModelFor(d.moduleAid);
  return card.store.transaction(() => {
    card.store.write(
      STORE_KEY.app(d.instanceAid),
      encodeApplication({
        aid: d.instanceAid,
        elfAid: d.loadFileAid,
        moduleAid: d.moduleAid,
        lifeCycle: d.makeSelectable ? APP_SELECTABLE : APP_INSTALLED,
        privileges,
        associatedSd: elf.associatedSd,
        parameters: d.applicationParameters,
        sequence: nextSequence(card.store),
      }),
    );
    if (hasPrivilege(privileges, PRIVILEGE.CARD_RESET)) takeCardReset(card, d.instanceAid);
    // The applet's install(): its initial persistent state, charged and journalled like the rest.
    model?.install(card.appletContext(d.instanceAid), d.applicationParameters);
    const confirmation = issueConfirmation(card, RECEIPT_CONTEXT.install(d.loadFileAid, d.instanceAid));
    return { data: confirmation, sw: SW.SUCCESS };
  });
}

function forMakeSelectable(card: CardRuntime, d: Extract<ReturnType<typeof parseInstallData>, { role: 'make-selectable' }>): CardResponse {
  const granted = threeBytePrivileges(d.privileges);
  requireAssignable(granted);
  const app = findApplication(card.store, d.instanceAid);
  if (!app) throw new CardStatusError(SW.REFERENCED_DATA_NOT_FOUND, `no application ${toHex(d.instanceAid)}`);
  if (app.lifeCycle !== APP_INSTALLED) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'the application is not in the INSTALLED state');
  return card.store.transaction(() => {
    // GPCS 2.3.1 §11.5.2.3: the privileges of [for make selectable] are added to the application's (Card Reset only).
    const privileges = Uint8Array.from(app.privileges, (b, i) => b | (granted[i] ?? 0));
    card.store.write(STORE_KEY.app(d.instanceAid), encodeApplication({ ...app, lifeCycle: APP_SELECTABLE, privileges }));
    if (hasPrivilege(granted, PRIVILEGE.CARD_RESET)) takeCardReset(card, d.instanceAid);
    return { data: issueConfirmation(card, RECEIPT_CONTEXT.install(app.elfAid, app.aid)), sw: SW.SUCCESS };
  });
}

/**
 * INSTALL (GPCS 11.5): [for load] (P1 02) opens a load and answers `00` (Table 11-54; the load
 * confirmation comes with the last LOAD block); [for install] (04), [for make selectable] (08) and
 * [for install and make selectable] (0C) change the registry in one transaction and answer the
 * confirmation. Other roles and GP chaining (P1 b8) are not supported (6A86).
 */
export const installHandler: CommandHandler = {
  name: 'INSTALL',
  ins: INS.INSTALL,
  requires: { cla: 'gp', session: 'content', lifeCycle: 'may.manage' },
  handle(ctx: CommandContext): CardResponse {
    const { card, apdu } = ctx;
    if (apdu.p1 & INSTALL_P1.MORE_COMMANDS) throw new CardStatusError(SW.INCORRECT_P1P2, 'INSTALL chaining is not supported');
    if (!SUPPORTED_ROLES.has(apdu.p1)) throw new CardStatusError(SW.INCORRECT_P1P2, `INSTALL role P1 = ${toHex(new Uint8Array([apdu.p1]))} is not supported`);
    if (apdu.p2 !== 0x00) throw new CardStatusError(SW.INCORRECT_P1P2, 'P2 must be 00 (combined load-install is not supported)');
    let d: ReturnType<typeof parseInstallData>;
    try {
      d = parseInstallData(apdu.p1, apdu.data);
    } catch (err) {
      if (err instanceof InstallDataError) throw new CardStatusError(SW.INCORRECT_DATA, err.message);
      throw err;
    }
    // A new INSTALL abandons a load in progress (nothing of it was stored).
    card.endLoad();
    switch (d.role) {
      case 'load': return forLoad(card, d);
      case 'install': return forInstall(card, d);
      case 'make-selectable': return forMakeSelectable(card, d);
      default: throw new CardStatusError(SW.INCORRECT_P1P2);
    }
  },
};
