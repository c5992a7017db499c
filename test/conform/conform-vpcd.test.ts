/**
 * The vpcd lane of `cardlab conform`: the same generated paths, each on a fresh card served over vpcd to a
 * private pcscd of this process and driven through `Virtual PCD 00 00` by the PC/SC worker reader. Its
 * verdicts must be the sim lane's, path for path, and the card sees the same commands. Outside CI a
 * machine without pcscd, vsmartcard-vpcd or the `smartcard` bindings skips it, saying what to install;
 * under CI (`CI` set) that is a failure, as .ci/run installs them.
 */
import { describe, it, expect } from 'vitest';
import { runConformance, type ConformOptions, type ConformReport } from '../../scenarios/conform/run-conform.ts';
import { SW } from '../../protocol/apdu/index.ts';
import type { DispatchOverride } from '../../simulator/index.ts';

function verdicts(report: ConformReport): Array<[string, string]> {
  return report.results.map((r) => [r.name, r.status]);
}

function commands(report: ConformReport): string[] {
  return report.results.map((r) => r.trace.filter((e) => e.dir === 'C' || e.dir === 'R').map((e) => `${e.dir} ${e.hex}`).join('\n'));
}

/** The vpcd run, or undefined (after saying why) when this machine cannot run it outside CI. */
async function overVpcd(options: ConformOptions = {}): Promise<ConformReport | undefined> {
  const report = await runConformance({ ...options, reader: 'vpcd' });
  if (report.skipReason === undefined) return report;
  if (process.env.CI) throw new Error(`the vpcd lane was skipped under CI: ${report.skipReason}`);
  console.warn(`skipped (allowed outside CI): ${report.skipReason}`);
  return undefined;
}

const acceptsExternalAuthenticate = (): DispatchOverride => ({
  match: (apdu, card) => apdu.ins === 0x82 && card.hasTag('scp.idle'),
  handle: () => ({ data: new Uint8Array(0), sw: SW.SUCCESS }),
});

describe('cardlab conform --reader vpcd', () => {
  it('gives the verdicts of --reader sim, path for path, with the same commands and answers', async (ctx) => {
    const vpcd = await overVpcd();
    if (!vpcd) return ctx.skip();
    const sim = await runConformance({ reader: 'sim' });
    expect(verdicts(vpcd)).toEqual(verdicts(sim));
    expect(vpcd.results.every((r) => r.status === 'passed')).toBe(true);
    expect(vpcd.coverage).toEqual(sim.coverage);
    expect(commands(vpcd)).toEqual(commands(sim));
  });

  it('fails the same paths as sim when the card accepts EXTERNAL AUTHENTICATE without INITIALIZE UPDATE', async (ctx) => {
    const plant = (card: Parameters<NonNullable<ConformOptions['plant']>>[0]) => card.use(acceptsExternalAuthenticate());
    const vpcd = await overVpcd({ plant });
    if (!vpcd) return ctx.skip();
    const sim = await runConformance({ reader: 'sim', plant });
    expect(verdicts(vpcd)).toEqual(verdicts(sim));
    expect(vpcd.results.filter((r) => r.status === 'failed').map((r) => r.failure?.message)).toEqual(sim.results.filter((r) => r.status === 'failed').map((r) => r.failure?.message));
  });
});
