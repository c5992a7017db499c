import { withTrace, type Reader, type TraceSink } from '../reader-bridge/index.ts';
import { createCardIo } from './card-io.ts';
import { DEFAULT_HTTP, type HttpOptions } from './http-client.ts';
import { PROVISION_STEPS, type FlowContext, type ProvisionResult, type StepProgress } from './steps/index.ts';
import { TerminalError, type ProvisionStep } from './terminal-error.ts';

export type { ProvisionResult, StepProgress } from './steps/index.ts';

export interface ProvisionOptions {
  reader: Reader;
  issuerUrl: string;
  providerUrl: string;
  serviceId: string;
  http?: Partial<HttpOptions>;
  /** How long S15 waits for the issuer to tell the provider about the new member (default 20 s). */
  notificationTimeoutMs?: number;
  /** Receives every card exchange (reader-bridge trace entries). */
  trace?: TraceSink;
  /** One call per finished step (the CLI prints them). */
  onProgress?: (p: StepProgress) => void;
  /** Run the flow up to and including this step only (a scenario's single S-step). */
  stopAfter?: ProvisionStep;
}

/** Thrown inside the flow when `stopAfter` is reached: the run so far counts as completed. */
class StopHere extends Error {}

const TITLES: Record<ProvisionStep, string> = {
  S1: 'read the card-unique data',
  S2: 'read the free memory',
  S3: 'collate with the issuer',
  S4: 'list the services',
  S5: 'choose the service',
  S6: 'get the application request',
  S7: 'the card signs the request',
  S8: 'send the signed request to the issuer',
  S9: 'the issuer verifies card and request',
  S10: 'the issuer authorises the install',
  S11: 'open remote management (SERAM handshake)',
  S12: "relay the issuer's orders to the card",
  S13: 'remote management ends',
  S14: 'the issuer confirms the install',
  S15: 'the provider learns of the new member',
  S16: 'start the service',
};

const trimSlash = (url: string) => url.replace(/\/$/, '');

/**
 * The cardholder's terminal: the seed's flow S1–S16 over any Reader and the global `fetch`, as the
 * named steps of `PROVISION_STEPS` (terminal/steps/): read the card, collate it with the issuer,
 * choose the service, have the provider issue an application request and the card sign it, send it
 * to the issuer (an application already on the card skips S8–S14), relay the issuer's GP SERAM orders,
 * wait for the provider to learn of the new member, start the service with a card-signed start and
 * acknowledge it. Never throws for a refusal or a fault: the result names the step, the code (and the
 * server's own code or the card's status word).
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const reader = options.trace ? withTrace(options.reader, options.trace) : options.reader;
  const result: ProvisionResult = { outcome: 'failed', steps: [] };
  let t0 = Date.now();
  const progress = (p: StepProgress) => {
    result.steps.push(p);
    options.onProgress?.(p);
    t0 = Date.now();
  };
  const flow: FlowContext = {
    reader,
    card: createCardIo(reader),
    http: { ...DEFAULT_HTTP, ...options.http },
    serviceId: options.serviceId,
    notificationTimeoutMs: options.notificationTimeoutMs ?? 20_000,
    issuer: (path) => `${trimSlash(options.issuerUrl)}${path}`,
    provider: (path) => `${trimSlash(options.providerUrl)}${path}`,
    state: {},
    result,
    done(step, detail, status = 'done') {
      progress({ step, title: TITLES[step], status, detail, ms: Date.now() - t0 });
      if (step === options.stopAfter) throw new StopHere();
    },
  };

  try {
    for (const step of PROVISION_STEPS) await step.run(flow);
    result.outcome = 'completed';
  } catch (err) {
    if (err instanceof StopHere) {
      result.outcome = 'completed';
      return result;
    }
    if (!(err instanceof TerminalError)) throw err;
    result.error = { step: err.step, code: err.code, message: err.message, ...err.detail };
    progress({ step: err.step, title: TITLES[err.step], status: 'failed', detail: err.message, ms: Date.now() - t0 });
  }
  return result;
}
