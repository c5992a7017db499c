import type { RunningServers } from '../../servers/index.ts';
import type { Card } from '../../simulator/index.ts';
import type { AssertSpec } from '../scenario.ts';
import type { EnvAssertion } from '../steps/assert-step.ts';

/**
 * Assertions on the issuer's and the provider's databases (read directly: the embedded servers are in
 * this process), keyed as the assert step looks them up.
 */
export function serverAssertions(servers: () => RunningServers, card: Card): Record<string, EnvAssertion> {
  const issuerDb = () => servers().issuer.store.db;
  const providerDb = () => servers().provider.store.db;
  return {
    'assert.issuer': async (_ctx, raw) => {
      const spec = raw as NonNullable<AssertSpec['issuer']>;
      const problems: string[] = [];
      if (spec.orders) {
        const counts = Object.fromEntries(issuerDb().all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM install_orders GROUP BY state').map((r) => [r.state, Number(r.n)]));
        for (const [state, n] of Object.entries(spec.orders)) if ((counts[state] ?? 0) !== n) problems.push(`the issuer has ${counts[state] ?? 0} order(s) ${state}, expected ${n} (all: ${JSON.stringify(counts)})`);
      }
      if (spec.installed) {
        const got = issuerDb().all<{ aid: string }>("SELECT aid FROM card_contents WHERE kind = 'application' ORDER BY aid").map((r) => r.aid);
        const want = spec.installed.map((a) => a.toUpperCase()).sort();
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`the issuer records [${got.join(', ')}] installed, expected [${want.join(', ')}]`);
      }
      if (spec.freeMemoryMatchesCard) {
        const row = issuerDb().get<{ free_nvm: number }>('SELECT free_nvm FROM cards');
        if (Number(row?.free_nvm) !== card.store.freeBytes()) problems.push(`the issuer records ${row?.free_nvm} bytes free, the card has ${card.store.freeBytes()}`);
      }
      return problems;
    },
    'assert.provider': async (_ctx, raw) => {
      const spec = raw as NonNullable<AssertSpec['provider']>;
      const problems: string[] = [];
      const members = providerDb().all<{ state: string }>('SELECT state FROM members');
      if (spec.members !== undefined && members.length !== spec.members) problems.push(`the provider has ${members.length} member(s), expected ${spec.members}`);
      const active = members.filter((m) => m.state === 'active').length;
      if (spec.activeServices !== undefined && active !== spec.activeServices) problems.push(`the provider has ${active} active service(s), expected ${spec.activeServices}`);
      return problems;
    },
    'assert.outbox': async (_ctx, raw) => {
      const spec = raw as NonNullable<AssertSpec['outbox']>;
      const rows = issuerDb().all<{ delivered_at: number | null }>('SELECT delivered_at FROM outbox');
      const pending = rows.filter((r) => r.delivered_at === null).length;
      const problems: string[] = [];
      if (spec.pending !== undefined && pending !== spec.pending) problems.push(`the outbox holds ${pending} undelivered notification(s), expected ${spec.pending}`);
      if (spec.delivered !== undefined && rows.length - pending !== spec.delivered) problems.push(`the outbox delivered ${rows.length - pending} notification(s), expected ${spec.delivered}`);
      return problems;
    },
  };
}
