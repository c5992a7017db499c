import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { runScenario, type ScenarioResult } from '../../scenarios/run-scenario.ts';
import { parseTimelineJsonLines, toTimelineJsonLines, toTimelineText, type CardEntry, type HttpEntry, type TimelineEntry } from '../../scenarios/timeline/index.ts';
import { createReplayReader, parseTrace } from '../../reader-bridge/index.ts';
import { fromHex } from '../../protocol/bytes.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SUITE = join(ROOT, 'scenarios', 'suite');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'timeline.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

/** A timeline without its timing fields, one JSON text per entry: what a seeded rerun must reproduce. */
function untimed(entries: readonly TimelineEntry[]): string[] {
  return entries.map((e) => JSON.stringify(e, (k, v) => (k === 't' || k === 'ms' ? undefined : v)));
}

const cards = (es: readonly TimelineEntry[]) => es.filter((e): e is CardEntry => e.kind === 'card');
const https = (es: readonly TimelineEntry[]) => es.filter((e): e is HttpEntry => e.kind === 'http');

describe('timeline of a provisioning scenario (the seed flow S1–S16 over the embedded servers)', () => {
  let run: ScenarioResult;
  let timeline: TimelineEntry[];
  beforeAll(async () => {
    run = await runScenario(join(SUITE, 'provision-happy-path.yaml'));
    timeline = run.timeline!;
  });

  it('passes and every line is valid against scenarios/timeline.schema.json', () => {
    expect(run.status).toBe('passed');
    expect(timeline[0]).toMatchObject({ kind: 'run', seed: 100, file: 'scenarios/suite/provision-happy-path.yaml' });
    for (const e of parseTimelineJsonLines(toTimelineJsonLines(timeline))) expect(validate(e) ? [] : validate.errors).toEqual([]);
    expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i));
  });

  it('shows every INSTALL, LOAD and DELETE of the issuer plain beside its wrapped bytes, verified with the session keys', () => {
    const managed = cards(timeline).filter((e) => e.dir === 'C' && /^84E[468]/.test(e.hex));
    expect(managed.length).toBeGreaterThan(5);
    for (const c of managed) {
      expect(c.sm?.status, c.hex).toBe('verified');
      expect(c.sm!.plain!.slice(0, 4)).toBe(`80${c.hex.slice(2, 4)}`);
      const r = timeline[timeline.indexOf(c) + 1] as CardEntry;
      expect(r).toMatchObject({ kind: 'card', dir: 'R', sm: { status: 'verified' } });
    }
    const plainNames = cards(timeline).flatMap((e) => (e.dir === 'R' ? (e.sm?.note?.[0] ?? '') : [])).map((n) => n.split(' (')[0]);
    for (const name of ['DELETE', 'INSTALL [for load]', 'LOAD', 'INSTALL [for install and make selectable]']) expect(plainNames).toContain(name);
    const text = toTimelineText(timeline);
    expect(text).toMatch(/^# plain >> 80 E6 02 00 .*\(C-MAC verified with the session keys\)$/m);
    expect(text).toMatch(/^# plain: INSTALL \[for load\]/m);
    expect(text).toMatch(/^>> 84 E8 00 00 /m);
  });

  it('marks the terminal S1–S16 in order inside the provision step', () => {
    const progress = timeline.filter((e) => e.kind === 'progress').map((e) => (e as { step: string }).step);
    expect(progress).toEqual(Array.from({ length: 16 }, (_, i) => `S${i + 1}`));
    const start = timeline.findIndex((e) => e.kind === 'step' && e.phase === 'start' && e.step === 'provision');
    const end = timeline.findIndex((e) => e.kind === 'step' && e.phase === 'end' && e.step === 'provision');
    const s1 = timeline.findIndex((e) => e.kind === 'progress');
    expect(start).toBeLessThan(s1);
    expect(timeline.length - 1 - [...timeline].reverse().findIndex((e) => e.kind === 'progress')).toBeLessThan(end);
  });

  it('records the HTTP exchanges of all three parties in order, bodies redacted', () => {
    const calls = https(timeline).map((e) => `${e.from}→${e.to} ${e.method} ${e.path.replace(/[0-9a-f-]{36}/, ':id')} ${e.status}`);
    const expected = [
      'terminal→issuer POST /cards/collate 200',
      'terminal→provider GET /services 200',
      'terminal→provider POST /services/loyalty/select 201',
      'terminal→issuer POST /install-requests 201',
      'terminal→issuer POST /gp/seram/handshake 200',
      'terminal→issuer POST /gp/seram/remoteManagement 200',
      'terminal→issuer GET /install-orders/:id 200',
      'terminal→provider POST /services/loyalty/start-requests 201',
      'terminal→provider POST /services/loyalty/start 200',
      'terminal→provider POST /services/loyalty/start/ack 200',
    ];
    const order = expected.map((x) => calls.indexOf(x));
    expect(order.every((i) => i >= 0), calls.join('\n')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(calls).toContain('issuer→provider POST /notifications 200');
    expect(timeline).toContainEqual(expect.objectContaining({ kind: 'outbox', event: 'delivered', attempt: 1 }));
    const handshake = https(timeline).find((e) => e.path === '/gp/seram/handshake')!;
    const json = JSON.stringify(timeline);
    expect(json).not.toMatch(/127\.0\.0\.1:\d/);
    expect(JSON.stringify(handshake.response ?? {})).not.toMatch(/"sessionId":"(?!\[redacted\])/);
    expect(json).not.toMatch(/"sessionId":"(?!\[redacted\])/);
    expect(json).not.toMatch(/sessionId=(?!\[redacted\])/);
  });

  it('a seeded rerun reproduces the card, steps, S-markers and terminal exchanges byte for byte apart from timing', async () => {
    // The issuer's outbox polls on its own clock: when its delivery falls among the terminal's calls (and
    // whether S15 must ask twice) is timing, so this compares what the card, the runner and the terminal did.
    const flow = (es: readonly TimelineEntry[]) => untimed(es.filter((e) => e.kind !== 'outbox' && !(e.kind === 'http' && (e.from === 'issuer' || e.path.endsWith('/start-requests'))))).map((l) => l.replace(/^\{"seq":\d+,/, '{'));
    const again = await runScenario(join(SUITE, 'provision-happy-path.yaml'));
    expect(flow(again.timeline!)).toEqual(flow(timeline));
  });

  it('replays: the replay reader takes the timeline (JSON lines or text) as the card trace and skips the rest', async () => {
    const card = cards(timeline).map((e) => ({ dir: e.dir, hex: e.hex }));
    expect(parseTrace(toTimelineJsonLines(timeline)).map((e) => ({ dir: e.dir, hex: e.hex }))).toEqual(card);
    expect(parseTrace(toTimelineText(timeline)).map((e) => ({ dir: e.dir, hex: e.hex }))).toEqual(card);
    const replay = createReplayReader(toTimelineJsonLines(timeline));
    // The runner powers the card on, the embedded environment again after registering it, then the terminal.
    const first = cards(timeline).findIndex((e) => e.dir === 'C');
    for (let i = 0; i < first; i++) await replay.powerOn();
    expect((await replay.transmit(fromHex(cards(timeline)[first]!.hex))).length).toBeGreaterThan(2);
  });
});

describe('timeline of faults and restarts', () => {
  it('names the network fault rule that fired on the exchange it answered', async () => {
    const r = await runScenario(join(SUITE, 'network-error-at-install-request.yaml'));
    const t = r.timeline!;
    expect(t).toContainEqual(expect.objectContaining({ kind: 'fault', event: 'armed', rule: 'error on issuer ^/install-requests$ (2×)' }));
    const fired = t.filter((e) => e.kind === 'fault' && e.event === 'fired');
    expect(fired.length).toBe(5);
    const faulted = https(t).filter((e) => e.fault);
    expect(faulted.map((e) => `${e.path} ${e.status ?? e.error}`)).toEqual(Array(5).fill('/install-requests Failed to fetch'));
    expect(faulted[0]!.fault).toBe('error on issuer ^/install-requests$');
  });

  it('names the card fault that fired: a power loss at a persistent write', async () => {
    const t = (await runScenario(join(SUITE, 'card-tear-during-load.yaml'))).timeline!;
    const fired = t.findIndex((e) => e.kind === 'fault' && e.event === 'fired');
    expect(t[fired]).toMatchObject({ kind: 'fault', rule: 'tearAtWrite: POWER_LOSS', target: 'card' });
    expect(t[fired - 1]).toMatchObject({ kind: 'card', dir: 'EVENT', note: ['error', 'POWER_LOSS', expect.stringContaining('persistent write')] });
  });

  it('shows the outbox retrying, the server restart and the delivery after it', async () => {
    const r = await runScenario(join(SUITE, 'issuer-restart-before-notification.yaml'));
    const kinds = r.timeline!.filter((e) => e.kind === 'outbox' || e.kind === 'restart').map((e) => (e.kind === 'outbox' ? `outbox ${e.event}` : 'restart'));
    expect(kinds[0]).toBe('outbox retry');
    expect(kinds.slice(kinds.indexOf('restart'))).toEqual(['restart', 'outbox delivered']);
    expect(r.timeline!).toContainEqual(expect.objectContaining({ kind: 'fault', event: 'fired', rule: 'notificationFailures: the provider answers 503', target: 'provider' }));
  });

  it('scenarios without a concurrent outbox reproduce byte for byte apart from timing (servers answering http steps included)', async () => {
    const file = join(SUITE, 'server-refusals.yaml');
    const [a, b] = [await runScenario(file), await runScenario(file)];
    expect(https(a.timeline!).length).toBeGreaterThan(5);
    expect(untimed(a.timeline!)).toEqual(untimed(b.timeline!));
  });

  it('a card-only scenario reproduces byte for byte apart from timing, its own secure channel read plain', async () => {
    const file = join(SUITE, 'card-load-install-delete.yaml');
    const [a, b] = [await runScenario(file), await runScenario(file)];
    expect(untimed(a.timeline!)).toEqual(untimed(b.timeline!));
    expect(cards(a.timeline!).filter((e) => e.sm?.status === 'verified').length).toBeGreaterThan(4);
  });
});

describe('timeline of a card fault', () => {
  it('records a forced status word as a fault that fired, on the card, between its command and its answer', async () => {
    const run = await runScenario(join(SUITE, 'card-forced-status-word.yaml'));
    expect(run.status).toBe('passed');
    const es = run.timeline!;
    const fired = es.findIndex((e) => e.kind === 'fault' && e.event === 'fired' && /^forceSw: 6581 on 80E80001/.test(e.rule));
    expect(fired).toBeGreaterThan(0);
    const before = es[fired - 1]!;
    const after = es[fired + 1]!;
    expect([before.kind === 'card' && before.dir, after.kind === 'card' && after.dir, after.kind === 'card' && after.hex]).toEqual(['C', 'R', '6581']);
    expect(validate(JSON.parse(JSON.stringify(es[fired])))).toBe(true);
  });
});
