/**
 * cardlab for vitest (`import { test, expect } from 'cardlab/vitest'`): a `card` fixture (a simulated
 * card, powered on), a `reader` fixture (the in-process reader holding that card), the status-word
 * matchers `toHaveStatusWord(sw)` and `toEndWith9000()` on R-APDUs, and `runScenario`, which fails the
 * test with the failing step's message. A composition root like index.ts.
 */
import { expect, test as base } from 'vitest';
import { createCard, type Card, type CreateCardOptions } from './simulator/index.ts';
import { createSimReader, type SimReader } from './reader-bridge/index.ts';
import { runScenario as run, type RunOptions, type ScenarioResult } from './scenarios/run-scenario.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { toHex } from './protocol/bytes.ts';
import { SW, swHex, swName, swOf } from './protocol/apdu/index.ts';

export { expect };

export interface CardFixtures {
  /** Options of the `card` fixture's createCard (set them with `test.extend({ cardOptions: … })` or `test.override`). */
  cardOptions: CreateCardOptions;
  /** A simulated card, powered on (default profile, seed 0); powered off after the test. */
  card: Card;
  /** The in-process reader holding `card`; closed after the test. */
  reader: SimReader;
}

/** vitest's `test` with the card fixtures. */
export const test = base.extend<CardFixtures>({
  cardOptions: [{}, { injected: false }],
  card: async ({ cardOptions }, use) => {
    const card = createCard(cardOptions);
    card.powerOn();
    await use(card);
    if (card.powered) card.powerOff();
  },
  reader: async ({ card }, use) => {
    const reader = createSimReader(card);
    await use(reader);
    await reader.close();
  },
});
export const it = test;

/** The matchers' declarations for `expect(rapdu)`. */
export interface CardMatchers<R = unknown> {
  /** The R-APDU ends with this status word (ISO 7816-4 §5.1.3), as a number (`0x6A82`) or hex (`'6A82'`). */
  toHaveStatusWord(sw: number | string): R;
  /** The R-APDU ends with 9000 (normal processing). */
  toEndWith9000(): R;
}

declare module 'vitest' {
  // The same type parameter as vitest's own declaration, or the two do not merge.
  interface Matchers<T = any> extends CardMatchers<T> {}
}

function statusWord(sw: number | string): number {
  return typeof sw === 'number' ? sw : Number.parseInt(sw.replace(/\s+/g, ''), 16);
}

function describeSw(sw: number): string {
  return `${swHex(sw)} (${swName(sw)})`;
}

function checkStatusWord(this: { isNot: boolean }, received: unknown, sw: number) {
  if (!(received instanceof Uint8Array)) {
    return { pass: false, message: () => `expected an R-APDU (Uint8Array), got ${typeof received}` };
  }
  const actual = received.length >= 2 ? swOf(received) : undefined;
  return {
    pass: actual === sw,
    message: () =>
      `expected R-APDU ${toHex(received, ' ') || '(empty)'} ${this.isNot ? 'not ' : ''}to end with ${describeSw(sw)}` +
      (actual === undefined ? ', but it has no status word' : `, it ends with ${describeSw(actual)}`),
    actual: actual === undefined ? undefined : swHex(actual),
    expected: swHex(sw),
  };
}

expect.extend({
  toHaveStatusWord(received: unknown, sw: number | string) {
    return checkStatusWord.call(this, received, statusWord(sw));
  },
  toEndWith9000(received: unknown) {
    return checkStatusWord.call(this, received, SW.SUCCESS);
  },
});

/**
 * Runs a scenario (a file or a parsed one) and fails the test unless it passed or was skipped (its reader
 * is missing on this machine: see `skipReason`); the failure names the step, its line and the reason.
 */
export async function runScenario(source: string | Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const result = await run(source, options);
  if (result.status === 'failed' || result.status === 'error') {
    // The failure message already names the step and its line.
    expect.fail(`scenario "${result.name}" (${result.file}) ${result.status}: ${result.failure?.message ?? 'no reason given'}`);
  }
  return result;
}
