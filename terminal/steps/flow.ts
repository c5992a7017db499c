import type { SelectServiceAnswer, ServiceView, StartRequestAnswer, StartServiceAnswer } from '../../protocol/api/index.ts';
import type { Reader } from '../../reader-bridge/index.ts';
import type { CardIo } from '../card-io.ts';
import type { HttpOptions } from '../http-client.ts';
import type { ProvisionStep } from '../terminal-error.ts';

/** How a finished S-step went. */
export interface StepProgress {
  step: ProvisionStep;
  title: string;
  status: 'done' | 'skipped' | 'failed';
  detail: string;
  ms: number;
}

export interface ProvisionResult {
  outcome: 'completed' | 'failed';
  steps: StepProgress[];
  cardId?: string;
  orderId?: string;
  /** Response status words of the service's commands (S16). */
  serviceResponses?: string[];
  error?: { step: ProvisionStep; code: string; message: string; serverCode?: string; status?: number; sw?: string };
}

/** What the steps learn and hand on, in the order they learn it. */
export interface FlowState {
  /** S1: the card-unique data (GET DATA answers, TLV form) and the CIN in hex. */
  cplc?: Uint8Array;
  iin?: Uint8Array;
  cin?: Uint8Array;
  cardId?: string;
  /** S2: the FF21 answer. */
  resources?: Uint8Array;
  /** S5: the chosen service. */
  service?: ServiceView;
  /** S6: the application request to sign. */
  selection?: SelectServiceAnswer;
  /** S7: the card's signature and certificate. */
  signature?: Uint8Array;
  certificate?: Uint8Array;
  /** S8–S10: the order and its remote management URLs; `alreadyInstalled` when the issuer lists the application. */
  orderId?: string;
  sessionId?: string;
  remoteManagement?: { handshake: string; remoteManagement: string };
  alreadyInstalled?: boolean;
  /** S15–S16: a start request not yet used (each is signed and used once). */
  startRequest?: StartRequestAnswer;
  /** S16: the provider's start and the card's R-APDUs (hex) to its commands. */
  start?: StartServiceAnswer;
  startResponses?: string[];
}

/** One run of the flow: the reader, the servers, what is known so far, and how a step reports. */
export interface FlowContext {
  readonly reader: Reader;
  readonly card: CardIo;
  readonly http: HttpOptions;
  readonly serviceId: string;
  /** How long S15 waits for the provider to learn of the new member. */
  readonly notificationTimeoutMs: number;
  issuer(path: string): string;
  provider(path: string): string;
  readonly state: FlowState;
  readonly result: ProvisionResult;
  /** Records a finished S-step (and stops the run there when it is the last one asked for). */
  done(step: ProvisionStep, detail: string, status?: StepProgress['status']): void;
}

/** A named step of the flow: it reads and extends the state and reports its S-steps with `done`. */
export interface FlowStep {
  readonly name: string;
  run(flow: FlowContext): Promise<void>;
}

/** A value a later step needs from an earlier one: its absence is a bug in the step list, not a refusal. */
export function needed<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the flow has no ${what} yet: a step is missing or out of order`);
  return value;
}
