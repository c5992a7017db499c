import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { parseScenario } from '../../scenarios/load-scenario.ts';
import { runScenario } from '../../scenarios/run-scenario.ts';

const SUITE = join(import.meta.dirname, '..', '..', 'scenarios', 'suite');
const fault = (network: string) => `name: x\nsteps:\n  - fault:\n      network: ${network}\n`;

describe('a network fault that names an HTTP status answers that status', () => {
  it('reads { target: issuer, status: 503 } as kind status (not a connection error), delayMs alone as kind delay', () => {
    expect(parseScenario(fault('{ target: issuer, status: 503 }'), 'x.yaml').steps[0]!.fault!.network!.kind).toBe('status');
    expect(parseScenario(fault('{ target: provider, delayMs: 300 }'), 'x.yaml').steps[0]!.fault!.network!.kind).toBe('delay');
    expect(parseScenario(fault('{ target: provider }'), 'x.yaml').steps[0]!.fault!.network!.kind).toBe('error');
  });

  it('refuses a kind that would ignore the status or the delay, at the kind', () => {
    expect(() => parseScenario(fault('{ target: issuer, kind: error, status: 503 }'), 'x.yaml')).toThrow(
      'x.yaml:4: steps[0].fault.network.kind: kind: error fails the connection (no HTTP answer at all), so status: 503 would never be answered; write kind: status, or leave kind out',
    );
    expect(() => parseScenario(fault('{ target: issuer, kind: status, delayMs: 100 }'), 'x.yaml')).toThrow(/steps\[0\]\.fault\.network\.kind: kind: status answers an HTTP status, so delayMs: 100 would never apply/);
    expect(() => parseScenario(fault('{ target: issuer, status: 503, delayMs: 100 }'), 'x.yaml')).toThrow(/steps\[0\]\.fault\.network\.delayMs: a network fault either answers a status \(status: 503\) or answers late/);
  });

  it('503 on every collation attempt: the terminal fails at S3 with the injected refusal and its status', async () => {
    const r = await runScenario(join(SUITE, 'network-status-at-collation.yaml'));
    expect(r.failure?.message).toBeUndefined();
    expect(r.status).toBe('passed');
    const provision = r.steps[1]!;
    expect(provision.kind).toBe('provision');
    // A connection error would read `network — …: fetch failed (after 3 attempts)`.
    expect(provision.detail).toMatch(/^failed at S3: refused \(injected_fault\) — S3: collation refused: injected_fault \(.*\b503\b.*\)$/);
  });
});
