import { describe, it, expect } from 'vitest';
import { runConformance } from '../../scenarios/conform/run-conform.ts';
import { oneCardLane } from '../../scenarios/conform/conform-readers.ts';
import { createSimReader } from '../../reader-bridge/index.ts';
import { createCard, ECHO_PACKAGE_AID, LOYALTY_PACKAGE_AID, STORE_KEY } from '../../simulator/index.ts';

describe('cardlab conform on one card kept for the whole run (what --reader pcsc does with a real card)', () => {
  it('reads the card first, leaves out paths needing another life cycle or locking it, and each path gives back what it loaded', async () => {
    const card = createCard({ seed: 11 });
    const report = await runConformance({ lane: oneCardLane('one card', createSimReader(card), 'shared'), keys: card.keyset() });
    const skipped = report.results.filter((r) => r.status === 'skipped');
    expect(report.results.filter((r) => r.status !== 'passed' && r.status !== 'skipped').map((r) => r.failure?.message)).toEqual([]);
    expect(skipped.length).toBeGreaterThan(0);
    for (const r of skipped) expect(r.skipReason).toMatch(/needs a fresh card in OP_READY|would lock or terminate the card \(run with --destructive\)/);
    // Every path after the first found the card as the first did: nothing of the suite is left on it.
    card.powerOn();
    expect(card.store.get(STORE_KEY.elf(LOYALTY_PACKAGE_AID))).toBeUndefined();
    expect(card.store.get(STORE_KEY.elf(ECHO_PACKAGE_AID))).toBeUndefined();
    expect(card.lifeCycle).toBe(0x0f);
  });
});
