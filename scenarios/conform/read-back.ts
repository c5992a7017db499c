import { SW } from '../../protocol/apdu/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { buildGetStatus, buildSelect } from '../../protocol/gp/commands/index.ts';
import { CARD_LIFE_CYCLE, cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import { parseTlv } from '../../protocol/tlv/index.ts';
import type { ConformState } from './conform-model.ts';
import type { ConformWorld } from './host-steps.ts';

/** Sends one plain command and expects a status word; used by the read-back, which speaks only on the basic channel. */
export interface ReadBackHost {
  /** Sends a command (wrapped when `secured`), checks the status word, answers the plain response data. */
  send(what: string, bytes: Uint8Array, sw: number | number[], secured?: boolean): Promise<Uint8Array>;
  /** A new session on the basic channel (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE). */
  authenticate(): Promise<void>;
  reset(): Promise<void>;
  fail(message: string): never;
}

/** AIDs of the registry entries (E3 … 4F) of a GET STATUS response in the TLV format (GPCS 11.4.3.1), and each entry's 9F70. */
function entries(data: Uint8Array): Array<{ aid: string; lifeCycle: number | undefined }> {
  return parseTlv(data)
    .filter((t) => t.tag === 0xe3)
    .map((e) => {
      const inner = parseTlv(e.value);
      return { aid: toHex(inner.find((t) => t.tag === 0x4f)?.value ?? new Uint8Array(0)), lifeCycle: inner.find((t) => t.tag === 0x9f70)?.value[0] };
    });
}

/**
 * Reads back from the card what the model predicts at the end of a path, after a warm reset (which clears
 * only volatile state): the card life cycle (SELECT answers 6283 in CARD_LOCKED, GPCS Table 11-83; the ISD's
 * GET STATUS entry carries it, GPCS 11.4.3.1), and the Load Files and applications the path left.
 * A TERMINATED card answers SELECT with 6A81 and nothing more can be read (GPCS 5.1.1.5).
 */
export async function readBack(w: ConformWorld, host: ReadBackHost, state: ConformState): Promise<void> {
  await host.reset();
  const lifeCycle = state.card.context.lifeCycle;
  if (lifeCycle === CARD_LIFE_CYCLE.TERMINATED) {
    await host.send('read back: SELECT the ISD (TERMINATED)', buildSelect(w.isdAid), SW.FUNCTION_NOT_SUPPORTED);
    return;
  }
  await host.send('read back: SELECT the ISD', buildSelect(w.isdAid), lifeCycle === CARD_LIFE_CYCLE.CARD_LOCKED ? SW.CARD_LOCKED_WARNING : SW.SUCCESS);
  await host.authenticate();
  const isd = entries(await host.send('read back: GET STATUS ISD', buildGetStatus({ subset: 0x80 }), SW.SUCCESS, true));
  if (isd[0]?.lifeCycle !== lifeCycle) {
    host.fail(`the card's life cycle is ${isd[0]?.lifeCycle === undefined ? 'missing' : (cardLifeCycleName(isd[0].lifeCycle) ?? isd[0].lifeCycle.toString(16))}; the model predicts ${cardLifeCycleName(lifeCycle)}`);
  }
  const files = entries(await host.send('read back: GET STATUS load files', buildGetStatus({ subset: 0x20 }), [SW.SUCCESS, SW.MORE_DATA_AVAILABLE], true)).map((e) => e.aid);
  for (const f of [w.material.lib, w.material.app]) {
    const present = files.includes(toHex(f.packageAid));
    if (present !== state.content.elfs.includes(f.name)) host.fail(`Load File ${toHex(f.packageAid)} is ${present ? 'on the card' : 'not on the card'}; the model predicts ${present ? 'it is not' : 'it is'}`);
  }
  const apps = await host.send('read back: GET STATUS applications', buildGetStatus({ subset: 0x40 }), [SW.SUCCESS, SW.REFERENCED_DATA_NOT_FOUND], true);
  const installed = entries(apps).some((e) => e.aid === toHex(w.material.lib.appletAid));
  if (installed !== state.content.apps.includes('loyalty')) host.fail(`the loyalty instance is ${installed ? 'installed' : 'not installed'}; the model predicts ${installed ? 'it is not' : 'it is'}`);
}
