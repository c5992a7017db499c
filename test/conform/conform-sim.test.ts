import { describe, it, expect } from 'vitest';
import { runConformance, formatCoverage } from '../../scenarios/conform/run-conform.ts';
import { machineInventory } from '../../scenarios/conform/plan.ts';

describe('cardlab conform --reader sim: the suite generated from the card statechart', () => {
  it('passes every path on the simulated card and covers every state node and transition of the card machine', async () => {
    const started = performance.now();
    const report = await runConformance({ reader: 'sim' });
    const ms = performance.now() - started;
    const inventory = machineInventory();
    console.log(`conform sim: ${report.results.length} paths, ${formatCoverage(report.coverage)} in ${ms.toFixed(0)} ms`);
    expect(report.results.filter((r) => r.status !== 'passed').map((r) => r.failure?.message)).toEqual([]);
    expect(report.coverage.states.missing).toEqual([]);
    expect(report.coverage.transitions.missing).toEqual([]);
    // Counted from the machine's own definition, not from what the paths happened to visit.
    expect(report.coverage.states.total).toBe(inventory.states.length);
    expect(report.coverage.transitions.total).toBe(inventory.transitions.length);
    expect(formatCoverage(report.coverage)).toBe(`states ${inventory.states.length}/${inventory.states.length}, transitions ${inventory.transitions.length}/${inventory.transitions.length}`);
  });

  it('is deterministic: the same seed sends the same bytes and gets the same answers', async () => {
    const a = await runConformance({ reader: 'sim', seed: 3 });
    const b = await runConformance({ reader: 'sim', seed: 3 });
    const bytes = (r: typeof a) => r.results.map((x) => x.trace.filter((e) => e.dir === 'C' || e.dir === 'R').map((e) => e.hex).join(' '));
    expect(bytes(a)).toEqual(bytes(b));
  });

  it('tries the refusals of each state it reaches: EXTERNAL AUTHENTICATE without INITIALIZE UPDATE, LOAD out of sequence, a closed channel, GET STATUS next, GET RESPONSE', async () => {
    const report = await runConformance({ reader: 'sim' });
    const refused = new Set(report.results.flatMap((r) => r.steps.filter((s) => s.name.startsWith('refused: ')).map((s) => s.name.replace(/ on channel \d$/, ''))));
    for (const name of [
      'refused: EXTERNAL AUTHENTICATE without INITIALIZE UPDATE',
      'refused: LOAD without INSTALL [for load]',
      'refused: LOAD block out of sequence',
      'refused: GET STATUS next without a paging',
      'refused: GET RESPONSE with no response waiting',
      'refused: DELETE of a package another package imports',
      'refused: SET STATUS to the current card life cycle state',
      'refused: SELECT in TERMINATED',
    ]) expect(refused).toContain(name);
    for (const n of [1, 2, 3]) expect(refused).toContain(`refused: SELECT on closed channel ${n}`);
  });
});
