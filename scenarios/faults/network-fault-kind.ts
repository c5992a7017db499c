import type { NetworkFaultSpec } from '../scenario.ts';

export type NetworkFaultKind = NonNullable<NetworkFaultSpec['kind']>;

/** Which field of a network fault contradicts the others, and why, in the scenario author's terms. */
export interface NetworkFaultProblem {
  field: 'kind' | 'delayMs';
  reason: string;
}

/**
 * What a network fault does, read from what it says: `kind` as written; else `status` when it names an
 * HTTP status (`{ target: issuer, status: 503 }` answers 503, it is not a connection error), `delay`
 * when it names `delayMs`, else `error` (the connection fails). A status or a delay beside a kind that
 * would ignore it is a contradiction, refused rather than guessed.
 */
export function networkFaultKind(fault: NetworkFaultSpec): NetworkFaultKind | NetworkFaultProblem {
  if (fault.status !== undefined && fault.delayMs !== undefined) {
    return { field: 'delayMs', reason: `a network fault either answers a status (status: ${fault.status}) or answers late (delayMs: ${fault.delayMs}), not both; write two fault steps` };
  }
  if (fault.status !== undefined && fault.kind !== undefined && fault.kind !== 'status') {
    return { field: 'kind', reason: `kind: ${fault.kind} ${IGNORES[fault.kind]}, so status: ${fault.status} would never be answered; write kind: status, or leave kind out` };
  }
  if (fault.delayMs !== undefined && fault.kind !== undefined && fault.kind !== 'delay') {
    return { field: 'kind', reason: `kind: ${fault.kind} ${IGNORES[fault.kind]}, so delayMs: ${fault.delayMs} would never apply; write kind: delay, or leave kind out` };
  }
  return fault.kind ?? (fault.status !== undefined ? 'status' : fault.delayMs !== undefined ? 'delay' : 'error');
}

const IGNORES: Record<NetworkFaultKind, string> = {
  error: 'fails the connection (no HTTP answer at all)',
  delay: 'lets the server answer, late',
  'drop-response': 'lets the server process the request and loses its answer',
  status: 'answers an HTTP status',
};
