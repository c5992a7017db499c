import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromHex } from '../../protocol/bytes.ts';
import type { AppletModel } from '../../simulator/index.ts';

/** Why an applet module of the user's could not be used: the module and what is wrong with it. */
export class AppletModuleError extends Error {
  override readonly name = 'AppletModuleError';
  constructor(
    readonly code: 'NOT_FOUND' | 'TYPESCRIPT_UNSUPPORTED' | 'LOAD_FAILED' | 'NO_MODEL' | 'BAD_MODULE_AID',
    message: string,
  ) {
    super(message);
  }
}

/** An AppletModel as a module may write it: `moduleAid` as bytes or as hex (a .mjs file has no fromHex at hand). */
type AppletExport = Omit<AppletModel, 'moduleAid'> & { moduleAid: Uint8Array | string };

function isAppletModel(value: unknown): value is AppletExport {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === 'string' && (v.moduleAid instanceof Uint8Array || typeof v.moduleAid === 'string') && typeof v.install === 'function' && typeof v.process === 'function';
}

function normalise(model: AppletExport, file: string): AppletModel {
  if (model.moduleAid instanceof Uint8Array) return model as AppletModel;
  let aid: Uint8Array;
  try {
    aid = fromHex(model.moduleAid);
  } catch {
    throw new AppletModuleError('BAD_MODULE_AID', `${file}: applet model '${model.name}' has moduleAid ${JSON.stringify(model.moduleAid)}, which is not hex`);
  }
  if (aid.length < 5 || aid.length > 16) throw new AppletModuleError('BAD_MODULE_AID', `${file}: applet model '${model.name}' has a moduleAid of ${aid.length} bytes; an AID has 5 to 16`);
  return { ...model, moduleAid: aid } as AppletModel;
}

/**
 * The AppletModel objects a module exports: its default export (a model or an array of models) and every
 * named export that is a model (an object with `name`, `moduleAid`, `install` and `process`; see
 * simulator/applets/applet-model.ts). A module with none is an error, and so is one Node cannot load
 * (a .ts module where tsx is not registered: write it as .js/.mjs, or run cardlab under tsx).
 */
export async function importAppletModels(file: string): Promise<AppletModel[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') throw new AppletModuleError('TYPESCRIPT_UNSUPPORTED', `${file}: Node cannot load a TypeScript module here; write the applet module as .js or .mjs, or run cardlab under tsx (node --import tsx …)`);
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(file)) throw new AppletModuleError('NOT_FOUND', `${file}: no such applet module (a path in a scenario is relative to the scenario's folder)`);
    throw new AppletModuleError('LOAD_FAILED', `${file}: the applet module failed to load: ${(err as Error).message}`);
  }
  const found: AppletExport[] = [];
  const add = (value: unknown) => {
    if (isAppletModel(value) && !found.includes(value)) found.push(value);
  };
  const fallback = module.default;
  if (Array.isArray(fallback)) fallback.forEach(add);
  else add(fallback);
  for (const [name, value] of Object.entries(module)) if (name !== 'default') add(value);
  if (found.length === 0) throw new AppletModuleError('NO_MODEL', `${file} exports no applet model (an object with name, moduleAid, install and process, as default or named export)`);
  return found.map((m) => normalise(m, file));
}

/** The applet models of a scenario's `applets:` modules, resolved against the scenario's folder, in the order given. */
export async function loadScenarioApplets(files: readonly string[], dir: string): Promise<AppletModel[]> {
  const models: AppletModel[] = [];
  for (const f of files) models.push(...(await importAppletModels(resolve(dir, f))));
  return models;
}
