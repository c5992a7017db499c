/**
 * Where the crash campaign kills the issuer: at the n-th HTTP request it receives (`before` it is
 * handled, or `after` the handler answered and before a byte of the answer is sent), or at its n-th
 * store write (`before` the call, or `after` its transaction committed).
 */
export interface KillPoint {
  kind: 'request' | 'write';
  n: number;
  when: 'before' | 'after';
}

/** `request-before:3`, `write-after:2`: the form the issuer process takes on its command line. */
export function formatKillPoint(p: KillPoint): string {
  return `${p.kind}-${p.when}:${p.n}`;
}

export function parseKillPoint(text: string): KillPoint {
  const m = /^(request|write)-(before|after):([1-9]\d*)$/.exec(text);
  if (!m) throw new Error(`a kill point is request-before:N, request-after:N, write-before:N or write-after:N, not '${text}'`);
  return { kind: m[1] as KillPoint['kind'], when: m[2] as KillPoint['when'], n: Number(m[3]) };
}

/** One thing the issuer process did, as it reports it on stdout (`event request 3 POST /gp/seram/handshake`). */
export interface IssuerEvent {
  kind: 'request' | 'write';
  n: number;
  /** `POST /cards/collate` or the store method's name. */
  what: string;
}

export function formatEvent(e: IssuerEvent): string {
  return `event ${e.kind} ${e.n} ${e.what}`;
}

export function parseEvent(line: string): IssuerEvent | undefined {
  const m = /^event (request|write) (\d+) (.+)$/.exec(line);
  return m ? { kind: m[1] as IssuerEvent['kind'], n: Number(m[2]), what: m[3]! } : undefined;
}

/** Every kill point of a flow whose requests and writes a dry run reported: two per exchange, two per write. */
export function killPointsOf(events: IssuerEvent[]): Array<KillPoint & { what: string }> {
  const points: Array<KillPoint & { what: string }> = [];
  for (const kind of ['request', 'write'] as const) {
    for (const e of events.filter((x) => x.kind === kind)) {
      points.push({ kind, n: e.n, when: 'before', what: e.what }, { kind, n: e.n, when: 'after', what: e.what });
    }
  }
  return points;
}
