import type { Scp03HostSession } from '../protocol/gp/scp03/index.ts';
import type { EcKeyPair } from '../protocol/crypto/index.ts';
import type { Card } from '../simulator/index.ts';
import type { Reader } from '../reader-bridge/index.ts';
import type { Scenario, Step } from './scenario.ts';

export type { TraceEntry } from '../reader-bridge/index.ts';
import type { TraceEntry } from '../reader-bridge/index.ts';

/** The reader a scenario drives (with the scenario's faults and trace applied). */
export type CardPort = Reader & { reinsert(): void };

/** Why a step failed, in the user's terms. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    message: string,
    readonly context?: { command?: string; response?: string; notes?: string[] },
  ) {
    super(message);
  }
}

/** Everything a step may use and change while a scenario runs. */
export interface RunContext {
  scenario: Scenario;
  seed: number;
  /** The simulated card, when the scenario drives one (assertions on card state and card faults need it). */
  card: Card | undefined;
  port: CardPort;
  /** The open SCP03 session, if an `authenticate` step opened one and nothing closed it since. */
  session: Scp03HostSession | undefined;
  /** The scenario's DAP signing key; the card verifies with its public half. */
  dapKey: EcKeyPair;
  trace: TraceEntry[];
  startedAt: number;
  /** Free persistent memory at the start (for `freeMemoryChange`). */
  initialFree: number | undefined;
  /** Per-scenario counters for deterministic host randomness. */
  nextHostSeed(): string;
  /** Sends a plain C-APDU, through the session when `secure`; records the trace; returns the (unwrapped) R-APDU. */
  send(command: Uint8Array, options?: { secure?: boolean }): Promise<Uint8Array>;
  /** Extension points for servers and terminal steps (filled by the embedded environment). */
  env: Record<string, unknown>;
  /** Cleanup callbacks run after the scenario, last first. */
  cleanups: Array<() => Promise<void> | void>;
}

export type StepRunner = (ctx: RunContext, step: Step, index: number) => Promise<string | void>;

/**
 * The scenario cannot run on this machine for an environmental reason only (e.g. `reader: vpcd` without
 * pcscd and vsmartcard-vpcd installed): its result is `skipped` with this message, never a pass.
 */
export class ScenarioSkipped extends Error {
  override readonly name = 'ScenarioSkipped';
}

/** The card gave no response (power lost, card removed): the step decides whether that was expected. */
export class NoResponse extends Error {
  override readonly name = 'NoResponse';
}
