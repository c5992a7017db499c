/**
 * One line of a scenario run's timeline (`scenarios/timeline.schema.json`): everything that happened, on one
 * clock. `t` (milliseconds since the run started) and `ms` (a duration) are the timing fields: a seeded run
 * reproduces every other field byte for byte. `seq` numbers the entries in the order they were recorded.
 *
 * Card entries keep the APDU trace's own fields (`dir`, `hex`, `note`), so a replay reader takes a timeline
 * as it takes a trace and skips the rest.
 */
export type TimelineEntry = RunEntry | CardEntry | StepEntry | ProgressEntry | HttpEntry | OutboxEntry | FaultEntry | RestartEntry;

/** The parties of a run, as the sequence diagram draws them. */
export type Party = 'card' | 'terminal' | 'issuer' | 'provider';
export const PARTIES: readonly Party[] = ['card', 'terminal', 'issuer', 'provider'];

interface Base {
  seq: number;
  t: number;
}

/** The first line: which scenario, which seed. */
export interface RunEntry extends Base {
  kind: 'run';
  scenario: string;
  file: string;
  seed: number;
}

/**
 * Secure messaging of a card entry: `verified` — the runner holds the session keys, the C-MAC (or R-MAC)
 * verified and `plain` is what the sender meant; `wrapped` — a session the runner holds no keys for
 * (`reason` says so); `failed` — the keys are held but the bytes do not verify (`reason`).
 */
export interface SecureMessaging {
  status: 'verified' | 'wrapped' | 'failed';
  /** The plain C-APDU, or the plain R-APDU (data ‖ SW), in hex. */
  plain?: string;
  /** The plain exchange's annotation (command name, decoded fields, SW meaning), on the response. */
  note?: string[];
  reason?: string;
}

export interface CardEntry extends Base {
  kind: 'card';
  dir: 'C' | 'R' | 'ATR' | 'EVENT';
  hex: string;
  note?: string[];
  sm?: SecureMessaging;
}

/** A scenario step started (`phase: 'start'`) or ended with its status. */
export interface StepEntry extends Base {
  kind: 'step';
  phase: 'start' | 'end';
  index: number;
  step: string;
  name: string;
  status?: 'passed' | 'failed' | 'not-run';
  detail?: string;
  error?: string;
  ms?: number;
}

/** The terminal finished (or failed) one of S1–S16. */
export interface ProgressEntry extends Base {
  kind: 'progress';
  step: string;
  title: string;
  status: string;
  detail?: string;
  ms?: number;
}

/** One HTTP exchange between two parties, bodies redacted; `error` when no response came. */
export interface HttpEntry extends Base {
  kind: 'http';
  from: Party;
  to: Party | 'other';
  method: string;
  path: string;
  status?: number;
  error?: string;
  request?: unknown;
  response?: unknown;
  /** Set when a scenario fault answered instead of the server. */
  fault?: string;
  ms?: number;
}

/** The issuer's outbox delivered a notification to the provider, or must retry it. */
export interface OutboxEntry extends Base {
  kind: 'outbox';
  event: 'delivered' | 'retry';
  attempt: number;
  notification?: string;
  status?: number;
  error?: string;
}

/** A fault: armed by a fault step, or fired (the rule that answered). */
export interface FaultEntry extends Base {
  kind: 'fault';
  event: 'armed' | 'fired';
  rule: string;
  target?: Party;
  path?: string;
}

/** The servers were restarted (with their databases). */
export interface RestartEntry extends Base {
  kind: 'restart';
  what: string;
}

/** The timing fields, which a reproduced run may change. */
export const TIMING_FIELDS = ['t', 'ms'] as const;
