import type { CardProfileInput } from '../simulator/index.ts';

/** The expectations an APDU-level step may carry (scenario.schema.json#/definitions/expectApdu). */
export interface ApduExpectation {
  sw?: string;
  swName?: string;
  data?: string;
  dataPattern?: string;
  response?: string;
  noResponse?: boolean;
}

/** A Load File: a CAP file of the user's (`file`, relative to the scenario), or one generated on the fly. */
export interface CapSpec {
  file?: string;
  packageAid?: string;
  appletAids?: string[];
  codeSize?: number;
  version?: string;
}

/**
 * The ISD's SCP03 keys (hex), key version and default security level (2 hex digits): the simulated card
 * is personalised with them and authenticate steps use them, so the scenario also runs on a real card.
 */
export interface ScenarioKeys {
  enc: string;
  mac: string;
  dek: string;
  kvn?: string;
  level?: string;
}

/**
 * A fault on the terminal's calls to the issuer or the provider (msw on the global fetch). The loader
 * fills `kind` in from the fields given (see faults/network-fault-kind.ts): `status` answers that HTTP
 * status with a JSON error body, `delayMs` answers late, neither fails the connection.
 */
export interface NetworkFaultSpec {
  target: 'issuer' | 'provider';
  path?: string;
  kind?: 'error' | 'delay' | 'drop-response' | 'status';
  status?: number;
  delayMs?: number;
  times?: number;
  after?: number;
}

export interface FaultSpec {
  tearAtWrite?: number;
  tearAtApdu?: number;
  forceSw?: { match: string; sw: string; times?: number };
  tamperResponse?: { match: string; byte?: number };
  latencyMs?: number;
  removeCardAtApdu?: number;
  network?: NetworkFaultSpec;
  notificationFailures?: number;
  clear?: true;
}

export interface AssertSpec {
  card?: {
    freeMemory?: number;
    freeMemoryChange?: number;
    applications?: string[];
    loadFiles?: string[];
    lifeCycle?: string;
    balance?: { instance: string; value: number };
    confirmationCounter?: number;
  };
  issuer?: { orders?: Record<string, number>; installed?: string[]; freeMemoryMatchesCard?: boolean };
  provider?: { members?: number; activeServices?: number };
  outbox?: { pending?: number; delivered?: number };
  trace?: { contains?: string[]; notContains?: string[] };
}

/** One step: exactly one kind key, an optional name and expectations (see the schema). */
export interface Step {
  name?: string;
  apdu?: string;
  secure?: boolean;
  authenticate?: { level?: string; kvn?: string; keys?: { enc: string; mac: string; dek: string } };
  select?: string;
  load?: { cap: CapSpec; dap?: 'valid' | 'none' | 'wrong-key'; blockSize?: number; declareSize?: boolean };
  install?: { package: string; module: string; instance: string; parameters?: string; makeSelectable?: boolean };
  delete?: { aid: string; related?: boolean };
  getStatus?: 'isd' | 'applications' | 'load-files' | 'load-files-and-modules';
  powerCycle?: true;
  reset?: true;
  fault?: FaultSpec;
  assert?: AssertSpec;
  provision?: { service: string };
  terminal?: { step: string; service?: string };
  restart?: 'issuer' | 'provider';
  wait?: number | { until: 'notification-delivered'; timeoutMs?: number };
  http?: { target: 'issuer' | 'provider'; method?: string; path: string; body?: unknown; rawBody?: string; admin?: boolean };
  expect?: ApduExpectation & { aids?: string[]; contains?: string[]; outcome?: 'completed' | 'failed'; failedStep?: string; code?: string; status?: number; bodyContains?: Record<string, unknown> };
}

export interface Scenario {
  name: string;
  description?: string;
  tags?: string[];
  seed?: number;
  card?: { profile?: CardProfileInput; profileFile?: string; image?: string; dap?: boolean };
  /** Modules of applet models (relative to the scenario), given to the simulated card before the bundled ones. */
  applets?: string[];
  keys?: ScenarioKeys;
  servers?: 'embedded' | 'none' | { issuer: string; provider: string; adminToken?: string };
  reader?: string;
  steps: Step[];
  /** Set by the loader: the file, its folder, and the line of each step. */
  file?: string;
  dir?: string;
  stepLines?: number[];
}

export type StepKind = Exclude<keyof Step, 'name' | 'expect' | 'secure'>;

/** The kind of a validated step (the schema guarantees exactly one). */
export function stepKind(step: Step): StepKind {
  for (const k of ['apdu', 'authenticate', 'select', 'load', 'install', 'delete', 'getStatus', 'powerCycle', 'reset', 'fault', 'assert', 'provision', 'terminal', 'restart', 'wait', 'http'] as const) {
    if (step[k] !== undefined) return k;
  }
  throw new Error('step without a kind');
}
