import { fromHex, readUint, toHex } from '../../protocol/bytes.ts';
import { cardLifeCycleName } from '../../protocol/gp/data/index.ts';
import { STORE_KEY } from '../../simulator/index.ts';
import { StepFailure, type RunContext, type StepRunner } from '../run-context.ts';

/** Environment-provided checks (servers, outbox): name → returns a failure message or nothing. */
export type EnvAssertion = (ctx: RunContext, spec: unknown) => Promise<string[]>;

function cardChecks(ctx: RunContext, spec: NonNullable<NonNullable<Parameters<StepRunner>[1]['assert']>['card']>): string[] {
  const card = ctx.card;
  if (!card) return ['card assertions need the simulated card (reader sim or vpcd)'];
  const problems: string[] = [];
  const free = card.store.freeBytes();
  if (spec.freeMemory !== undefined && free !== spec.freeMemory) problems.push(`free memory is ${free} bytes, expected ${spec.freeMemory}`);
  if (spec.freeMemoryChange !== undefined && free - ctx.initialFree! !== spec.freeMemoryChange) {
    problems.push(`free memory changed by ${free - ctx.initialFree!} bytes since the start, expected ${spec.freeMemoryChange}`);
  }
  if (spec.applications) {
    const got = card.registry.applications().map((a) => toHex(a.aid));
    const want = spec.applications.map((a) => a.toUpperCase());
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`applications are [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  if (spec.loadFiles) {
    const rom = new Set(card.profile.preloaded.map((p) => toHex(p.aid)));
    const got = card.registry.loadFiles().map((e) => toHex(e.aid)).filter((a) => !rom.has(a));
    const want = spec.loadFiles.map((a) => a.toUpperCase());
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`loaded load files are [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  if (spec.lifeCycle && cardLifeCycleName(card.lifeCycle) !== spec.lifeCycle) problems.push(`card life cycle is ${cardLifeCycleName(card.lifeCycle)}, expected ${spec.lifeCycle}`);
  if (spec.balance) {
    const raw = card.store.get(STORE_KEY.appData(fromHex(spec.balance.instance), 'balance'));
    if (!raw) problems.push(`${spec.balance.instance} has no balance (not a loyalty instance, or not installed)`);
    else if (readUint(raw) !== spec.balance.value) problems.push(`balance of ${spec.balance.instance} is ${readUint(raw)}, expected ${spec.balance.value}`);
  }
  if (spec.confirmationCounter !== undefined) {
    const c = readUint(card.store.get(STORE_KEY.CONFIRMATION_COUNTER) ?? new Uint8Array(2));
    if (c !== spec.confirmationCounter) problems.push(`confirmation counter is ${c}, expected ${spec.confirmationCounter}`);
  }
  return problems;
}

function traceChecks(ctx: RunContext, spec: { contains?: string[]; notContains?: string[] }): string[] {
  const text = ctx.trace.map((e) => `${e.dir} ${e.hex} ${(e.note ?? []).join(' ')}`).join('\n').toUpperCase();
  const problems: string[] = [];
  for (const s of spec.contains ?? []) if (!text.includes(s.toUpperCase())) problems.push(`the trace does not contain "${s}"`);
  for (const s of spec.notContains ?? []) if (text.includes(s.toUpperCase())) problems.push(`the trace contains "${s}"`);
  return problems;
}

/** `assert`: checks card state, server state, outbox and trace; every unmet expectation is listed. */
export const assertStep: StepRunner = async (ctx, step) => {
  const spec = step.assert!;
  const problems: string[] = [];
  if (spec.card) problems.push(...cardChecks(ctx, spec.card));
  if (spec.trace) problems.push(...traceChecks(ctx, spec.trace));
  for (const key of ['issuer', 'provider', 'outbox'] as const) {
    if (!spec[key]) continue;
    const check = ctx.env[`assert.${key}`] as EnvAssertion | undefined;
    if (!check) problems.push(`${key} assertions need servers (servers: embedded)`);
    else problems.push(...(await check(ctx, spec[key])));
  }
  if (problems.length) throw new StepFailure(problems.join('; '));
};
