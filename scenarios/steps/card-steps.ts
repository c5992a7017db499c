import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { seededRandom, sha256 } from '../../protocol/crypto/index.ts';
import { generateEcKeyPair } from '../../protocol/crypto/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import {
  buildSelect,
  buildInstallForLoad,
  buildLoadCommands,
  buildInstallForInstall,
  buildDelete,
  buildGetStatus,
} from '../../protocol/gp/commands/index.ts';
import { parseRegistryEntries } from '../../protocol/gp/data/index.ts';
import { buildCap, readCap, loadFileDataBlock, loadFileDataBlockHash, buildLoadFile, CapError, type CapFile } from '../../protocol/cap/index.ts';
import { signDap } from '../../protocol/gp/dap.ts';
import { NoResponse, StepFailure, type RunContext, type StepRunner } from '../run-context.ts';
import type { CapSpec, Step } from '../scenario.ts';
import { checkApdu, swOf, type Outcome } from './expect-apdu.ts';
import { cardKeysOf, DEFAULT_LEVEL } from '../env/scenario-keys.ts';

const ISD_DEFAULT = fromHex('A000000151000000');

async function exchange(ctx: RunContext, command: Uint8Array, secure = false): Promise<Outcome> {
  try {
    return await ctx.send(command, { secure });
  } catch (err) {
    if (err instanceof NoResponse) return { noResponse: err.message };
    throw err;
  }
}

function requireSession(ctx: RunContext, what: string): void {
  if (!ctx.session) throw new StepFailure(`${what} needs an open secure channel: add an authenticate step before it (a power cycle, SELECT or failure closes the session)`);
}

export const apduStep: StepRunner = async (ctx, step) => {
  const command = fromHex(step.apdu!);
  if (step.secure) requireSession(ctx, 'a secure apdu step');
  checkApdu('apdu', step.expect, command, await exchange(ctx, command, step.secure === true));
};

/**
 * Opens an SCP03 session with the ISD (Amendment D §7): SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE.
 * Keys, in order: the step's own, the scenario's `keys:` (or `cardlab run --keys`), the simulated card's
 * (its profile's, or the issuer's per-card keys after personalisation).
 */
export const authenticateStep: StepRunner = async (ctx, step) => {
  const scenarioKeys = ctx.scenario.keys;
  const profileKeys = ctx.card?.keyset();
  const keys = step.authenticate?.keys
    ? { enc: fromHex(step.authenticate.keys.enc), mac: fromHex(step.authenticate.keys.mac), dek: fromHex(step.authenticate.keys.dek) }
    : scenarioKeys
      ? cardKeysOf(scenarioKeys)
      : profileKeys
        ? { enc: profileKeys.enc, mac: profileKeys.mac, dek: profileKeys.dek }
        : undefined;
  if (!keys) throw new StepFailure('authenticate: the card is not simulated, so its keys must be given (keys: in the scenario, --keys, or authenticate.keys)');
  const kvn = step.authenticate?.kvn ? parseInt(step.authenticate.kvn, 16) : scenarioKeys && !step.authenticate?.keys ? cardKeysOf(scenarioKeys).kvn : (profileKeys?.kvn ?? 0);
  const level = parseInt(step.authenticate?.level ?? scenarioKeys?.level ?? DEFAULT_LEVEL, 16);
  ctx.session = undefined;
  // Like GlobalPlatformPro: select the ISD first, so the session opens with it whatever was selected.
  const select = buildSelect();
  const selected = await exchange(ctx, select);
  if (!(selected instanceof Uint8Array) || (swOf(selected) !== 0x9000 && swOf(selected) !== 0x6283)) return checkApdu('SELECT ISD', step.expect, select, selected);
  const host = new Scp03HostSession({ keys, kvn, random: seededRandom(ctx.nextHostSeed()) });
  const iuCommand = host.initializeUpdateCommand();
  const iu = await exchange(ctx, iuCommand);
  if (!(iu instanceof Uint8Array) || swOf(iu) !== 0x9000) return checkApdu('INITIALIZE UPDATE', step.expect, iuCommand, iu);
  try {
    host.processInitializeUpdateResponse(iu.subarray(0, iu.length - 2));
  } catch (err) {
    throw new StepFailure(`INITIALIZE UPDATE: the card's cryptogram does not verify with these keys (${(err as Error).message})`);
  }
  const ea = host.externalAuthenticateCommand(level);
  const r = await exchange(ctx, ea);
  checkApdu('EXTERNAL AUTHENTICATE', step.expect, ea, r);
  if (r instanceof Uint8Array && swOf(r) === 0x9000) ctx.session = host;
};

export const selectStep: StepRunner = async (ctx, step) => {
  const command = buildSelect(fromHex(step.select!));
  const r = await exchange(ctx, command);
  ctx.session = undefined; // SELECT ends the secure channel (AMD-D 5.6)
  checkApdu('SELECT', step.expect, command, r);
};

/** Sends commands in order through the session; stops at the first one not answered 9000 and checks it (or the last) against the expectation. */
async function sendSequence(ctx: RunContext, step: Step, what: string, commands: Array<{ label: string; bytes: Uint8Array }>): Promise<string> {
  requireSession(ctx, what);
  for (let i = 0; i < commands.length; i++) {
    const c = commands[i]!;
    const r = await exchange(ctx, c.bytes, true);
    const ok = r instanceof Uint8Array && swOf(r) === 0x9000;
    if (!ok || i === commands.length - 1) {
      checkApdu(c.label, step.expect, c.bytes, r);
      return `${c.label} → ${r instanceof Uint8Array ? toHex(r.subarray(r.length - 2)) : 'no response'}`;
    }
  }
  return '';
}

/**
 * The CAP a load step names: the user's file (relative to the scenario's folder; read strictly by readCap,
 * JCVM §6), or one built on the fly from its package and applet AIDs.
 */
function capOf(ctx: RunContext, spec: CapSpec): CapFile {
  if (spec.file !== undefined) {
    const path = resolve(ctx.scenario.dir ?? process.cwd(), spec.file);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new StepFailure(`load: cannot read the CAP file ${path} (a path in a scenario is relative to the scenario's folder): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      return readCap(bytes);
    } catch (err) {
      if (err instanceof CapError) throw new StepFailure(`load: ${path} is not a CAP file cardlab can load: ${err.message}`);
      throw err;
    }
  }
  const [major, minor] = (spec.version ?? '1.0').split('.').map(Number);
  return readCap(buildCap({ packageAid: fromHex(spec.packageAid!), appletAids: spec.appletAids!.map(fromHex), codeSize: spec.codeSize ?? 512, packageVersion: { major: major!, minor: minor! } }));
}

export const loadStep: StepRunner = async (ctx, step) => {
  const spec = step.load!;
  const cap = capOf(ctx, spec.cap);
  const lfdb = loadFileDataBlock(cap);
  const hash = loadFileDataBlockHash(lfdb);
  const isd = ctx.card?.profile.isdAid ?? ISD_DEFAULT;
  const mode = spec.dap ?? 'valid';
  const signer = mode === 'wrong-key' ? generateEcKeyPair('P-256', seededRandom(sha256(hash))).privateKey : ctx.dapKey.privateKey;
  const dapBlocks = mode === 'none' ? [] : [{ sdAid: isd, signature: signDap({ type: 'ecdsa', curve: 'P-256', privateKey: signer }, hash) }];
  const commands = [
    { label: 'INSTALL [for load]', bytes: buildInstallForLoad({ loadFileAid: cap.packageAid, lfdbHash: hash, loadParameters: spec.declareSize === false ? undefined : { nonVolatileCode: lfdb.length } }) },
    ...buildLoadCommands(buildLoadFile(lfdb, dapBlocks), spec.blockSize ?? 239).map((bytes, i, all) => ({ label: `LOAD block ${i}${i === all.length - 1 ? ' (last)' : ''}`, bytes })),
  ];
  return sendSequence(ctx, step, 'load', commands);
};

export const installStep: StepRunner = async (ctx, step) => {
  const s = step.install!;
  const bytes = buildInstallForInstall({
    loadFileAid: fromHex(s.package),
    moduleAid: fromHex(s.module),
    instanceAid: fromHex(s.instance),
    applicationParameters: s.parameters ? fromHex(s.parameters) : undefined,
    makeSelectable: s.makeSelectable ?? true,
  });
  return sendSequence(ctx, step, 'install', [{ label: s.makeSelectable === false ? 'INSTALL [for install]' : 'INSTALL [for install and make selectable]', bytes }]);
};

export const deleteStep: StepRunner = async (ctx, step) => {
  const d = step.delete!;
  return sendSequence(ctx, step, 'delete', [{ label: 'DELETE', bytes: buildDelete(fromHex(d.aid), { related: d.related ?? false }) }]);
};

const SUBSET = { isd: 0x80, applications: 0x40, 'load-files': 0x20, 'load-files-and-modules': 0x10 } as const;

export const getStatusStep: StepRunner = async (ctx, step) => {
  requireSession(ctx, 'getStatus');
  const subset = SUBSET[step.getStatus!];
  const aids: string[] = [];
  let command = buildGetStatus({ subset });
  let r: Outcome = new Uint8Array(0);
  for (let page = 0; page < 64; page++) {
    r = await exchange(ctx, command, true);
    if (!(r instanceof Uint8Array)) break;
    const sw = swOf(r);
    if (sw === 0x9000 || sw === 0x6310) aids.push(...parseRegistryEntries(r.subarray(0, r.length - 2)).map((e) => toHex(e.aid)));
    if (sw !== 0x6310) break;
    command = buildGetStatus({ subset, next: true });
  }
  const expectSw = step.expect?.sw;
  if (expectSw || !(r instanceof Uint8Array) || (swOf(r) !== 0x9000 && swOf(r) !== 0x6a88)) checkApdu('GET STATUS', { sw: expectSw ?? '9000' }, command, r);
  const want = step.expect?.aids?.map((a) => a.toUpperCase());
  if (want && JSON.stringify(aids) !== JSON.stringify(want)) throw new StepFailure(`GET STATUS ${step.getStatus}: the card lists [${aids.join(', ')}], expected [${want.join(', ')}]`);
  for (const a of step.expect?.contains ?? []) if (!aids.includes(a.toUpperCase())) throw new StepFailure(`GET STATUS ${step.getStatus}: ${a} is not listed (the card lists ${aids.join(', ') || 'nothing'})`);
  return `${aids.length} entr${aids.length === 1 ? 'y' : 'ies'}`;
};

export const powerCycleStep: StepRunner = async (ctx) => {
  ctx.session = undefined;
  await ctx.port.powerOff();
  await ctx.port.powerOn();
};

export const resetStep: StepRunner = async (ctx) => {
  ctx.session = undefined;
  await ctx.port.reset();
};
