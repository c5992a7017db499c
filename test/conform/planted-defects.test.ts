import { describe, it, expect } from 'vitest';
import { runConformance, type ConformReport } from '../../scenarios/conform/run-conform.ts';
import { ECHO_PACKAGE_AID, LOYALTY_PACKAGE_AID, STORE_KEY, type DispatchOverride } from '../../simulator/index.ts';
import { SW } from '../../protocol/apdu/index.ts';
import { toHex } from '../../protocol/bytes.ts';

const INS_EXTERNAL_AUTHENTICATE = 0x82;
const INS_LOAD = 0xe8;
const INS_DELETE = 0xe4;

/** Runs the suite with `override` planted on every fresh card; answers the failures. */
async function withDefect(override: () => DispatchOverride): Promise<{ report: ConformReport; messages: string[] }> {
  const report = await runConformance({ reader: 'sim', plant: (card) => card.use(override()) });
  return { report, messages: report.results.filter((r) => r.status !== 'passed').map((r) => r.failure?.message ?? '') };
}

describe('planted defects fail the suite, naming the path, the step, the bytes sent and the expected status word', () => {
  it('a card that accepts EXTERNAL AUTHENTICATE without INITIALIZE UPDATE', async () => {
    const { messages } = await withDefect(() => ({
      name: 'EXTERNAL AUTHENTICATE accepted with no session started',
      match: (apdu, card) => apdu.ins === INS_EXTERNAL_AUTHENTICATE && card.hasTag('scp.idle'),
      handle: () => ({ data: new Uint8Array(0), sw: SW.SUCCESS }),
    }));
    expect(messages.length).toBeGreaterThan(0);
    const m = messages.find((x) => x.includes('EXTERNAL AUTHENTICATE without INITIALIZE UPDATE'));
    expect(m).toMatch(/^path ".+", step \d+ "refused: EXTERNAL AUTHENTICATE without INITIALIZE UPDATE on channel \d": sent 8[4-7]82010010(00){16}, expected SW 6985 \(.+\), got 9000/);
  });

  it('a card that forgets a LOAD block (answers 9000 to block 01 and drops it)', async () => {
    const { messages } = await withDefect(() => ({
      name: 'LOAD block 01 dropped',
      once: true,
      match: (apdu) => apdu.ins === INS_LOAD && apdu.p1 === 0x00 && apdu.p2 === 0x01,
      handle: () => ({ data: Uint8Array.of(0x00), sw: SW.SUCCESS }),
    }));
    expect(messages.length).toBeGreaterThan(0);
    // The next block finds the card still expecting 01: out of sequence.
    // Every failure names the path, the step, the bytes sent and the status word expected.
    for (const m of messages) expect(m).toMatch(/^path ".+", step \d+ ".+": sent [0-9A-F]+, expected SW [0-9A-F]{4} \(.+\), got [0-9A-F]{4}/);
    // A path loading the three-block package: block 80 02 finds the card still expecting 01, out of sequence.
    expect(messages.some((m) => /step \d+ "LOAD block on channel \d": sent 8[4-7]E88002[0-9A-F]+, expected SW 9000 \(.+\), got 6985/.test(m))).toBe(true);
    // A path ending at block 00 tries block 01 out of sequence: the defective card takes it.
    expect(messages.some((m) => /step \d+ "refused: LOAD block out of sequence on channel \d": sent 8[4-7]E80001[0-9A-F]+, expected SW 6985/.test(m))).toBe(true);
  });

  it('a card that deletes an imported package', async () => {
    const { messages } = await withDefect(() => ({
      name: 'DELETE ignores importers',
      match: (apdu, card) => apdu.ins === INS_DELETE && toHex(apdu.data).includes(toHex(LOYALTY_PACKAGE_AID)) && card.store.get(STORE_KEY.elf(ECHO_PACKAGE_AID)) !== undefined,
      handle: ({ card }) =>
        card.store.transaction(() => {
          card.store.remove(STORE_KEY.elf(LOYALTY_PACKAGE_AID));
          card.store.remove(STORE_KEY.elfCode(LOYALTY_PACKAGE_AID));
          return { data: Uint8Array.of(0x00), sw: SW.SUCCESS };
        }),
    }));
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((m) => /^path ".+", step \d+ "refused: DELETE of a package another package imports on channel \d": sent 8[4-7]E40080[0-9A-F]+, expected SW 6985 \(.+\), got 9000/.test(m))).toBe(true);
  });
});
