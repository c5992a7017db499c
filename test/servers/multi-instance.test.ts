/**
 * Several issuer instances as real processes over one PostgreSQL database: `cardlab serve --provider-only`
 * initialises the data directory and the database (keys, secrets, provider registration, demo data), then
 * three `cardlab serve --issuer-only` processes on the same data directory serve the issuer behind a
 * round-robin balancer (test/support/round-robin-proxy.ts) that sends every request of a terminal to
 * another instance than its previous one. 200 simulated cards are provisioned concurrently; once a third
 * of them completed, one issuer is killed with SIGKILL and the others carry on: the balancer sends the
 * requests the dead one refuses to the next, and a terminal whose request died inside it runs its flow
 * again (idempotent calls are retried; an open order is resumed). Afterwards, SQL over both schemas and
 * every card's own contents must show each card installed once, each order confirmed once, the provider
 * told once per member, and no SERAM session lost: sessions continue on the other instances, and one whose
 * report died inside the killed instance is left for the idle sweep while the terminal's next flow resumes
 * its order. Skipped without PostgreSQL, a failure under CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, readUint, toHex } from '../../protocol/bytes.ts';
import { seededRandom, systemRandom } from '../../protocol/crypto/index.ts';
import { buildGetData, buildGetStatus, buildSelect } from '../../protocol/gp/commands/index.ts';
import { parseRegistryEntries } from '../../protocol/gp/data/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { buildGetBalance } from '../../protocol/loyalty/index.ts';
import { parseSingleTlv } from '../../protocol/tlv/index.ts';
import { createSimReader } from '../../reader-bridge/index.ts';
import { loadOrCreateIssuerKeys, openDataDir } from '../../servers/index.ts';
import { createCard, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, type Card } from '../../simulator/index.ts';
import { provision } from '../../terminal/index.ts';
import { dataOf, swOf } from '../support/card-host.ts';
import { findPostgresBin, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { asTerminal, startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.ts';
import { postgresLane } from '../support/system-components.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = resolve(import.meta.dirname, '../../bin/cardlab.js');
const CARDS = 200;
const TERMINALS = 24;
const ISSUERS = 3;
const KILLED = 1;
const INSTANCE_AID = toHex(LOYALTY_APPLET_AID);
const PACKAGE_AID = toHex(LOYALTY_PACKAGE_AID);

interface Process {
  child: ChildProcess;
  lines: Record<string, string>;
}

/** Starts `cardlab serve` with `args` and resolves once it printed the `wanted` ready lines. */
function serve(args: string[], wanted: string[]): Promise<Process> {
  // The database comes from the arguments only, never from the environment of whoever runs the tests.
  // CARDLAB_OWNER_PID: each server stops by itself if this test process is killed, even with SIGKILL.
  const env: NodeJS.ProcessEnv = { ...process.env, CARDLAB_OWNER_PID: String(process.pid) };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [BIN, 'serve', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  // Should the test process end before stop(): no server outlives it (a SIGKILL of it: the owner watchdog).
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.off('exit', orphan));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((done, fail) => {
    const lines: Record<string, string> = {};
    const timer = setTimeout(() => fail(new Error(`cardlab serve ${args.join(' ')} was not ready in 30 s: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^(issuer|provider|card|service): (.+)$/.exec(line);
      if (m) lines[m[1]!] = m[2]!;
      if (wanted.every((w) => lines[w] !== undefined)) {
        clearTimeout(timer);
        done({ child, lines });
      }
    });
    // 'close', not 'exit': its stderr is read to the end by then.
    child.once('close', (code) => fail(new Error(`cardlab serve ${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
}

function stop(p: Process): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
  p.child.removeAllListeners('close');
  return new Promise((done) => {
    p.child.once('exit', () => done());
    p.child.kill('SIGTERM');
  });
}

async function call(base: string, path: string, token: string, body: unknown): Promise<any> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const answer = await r.json();
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(answer)}`);
  return answer;
}

interface SimCard {
  card: Card;
  cin: string;
  keys: { kvn: number; enc: string; mac: string; dek: string };
}

/** A card personalised as at issuance: registered with the issuer, its certificate and per-card ISD keys written in. */
async function newCard(issuerUrl: string, token: string, dapPublicKey: Uint8Array, seed: number): Promise<SimCard> {
  const card = createCard({ profile: { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: toHex(dapPublicKey) } } }, seed });
  card.powerOn();
  const value = (tag: number) => parseSingleTlv(card.transmit(buildGetData(tag)).slice(0, -2)).value;
  const cin = toHex(value(0x45));
  const { cardholderId } = await call(issuerUrl, '/admin/cardholders', token, { name: `Holder ${seed}`, address: `${seed} Instance Street` });
  const registered = await call(issuerUrl, '/admin/cards', token, { cardholderId, iin: toHex(value(0x42)), cin, icSerial: toHex(value(0x9f7f).subarray(12, 16)), cardPublicKey: toHex(card.signingKey().publicKey) });
  card.installCertificate(fromHex(registered.certificate));
  const k = registered.keys as SimCard['keys'];
  card.installKeys({ kvn: k.kvn, enc: fromHex(k.enc), mac: fromHex(k.mac), dek: fromHex(k.dek) });
  card.powerOff();
  return { card, cin, keys: k };
}

/** What the card itself holds: instances and load files of the loyalty applet (GET STATUS over SCP03 with its ISD keys), balance and credits. */
function onCard(c: SimCard): { instances: number; loadFiles: number; balance: number; credits: number } {
  const { card, keys } = c;
  card.powerOn();
  expect(swOf(card.transmit(buildSelect()))).toBe(0x9000);
  const host = new Scp03HostSession({ keys: { enc: fromHex(keys.enc), mac: fromHex(keys.mac), dek: fromHex(keys.dek) }, kvn: keys.kvn, random: seededRandom('multi-instance') });
  const init = card.transmit(host.initializeUpdateCommand());
  expect(swOf(init)).toBe(0x9000);
  host.processInitializeUpdateResponse(dataOf(init));
  expect(swOf(card.transmit(host.externalAuthenticateCommand(0x03)))).toBe(0x9000);
  const count = (subset: number, aid: string) => {
    const r = host.unwrap(card.transmit(host.wrap(buildGetStatus({ subset }))));
    if (swOf(r) === 0x6a88) return 0;
    expect(swOf(r)).toBe(0x9000);
    return parseRegistryEntries(dataOf(r)).filter((x) => toHex(x.aid) === aid).length;
  };
  const instances = count(0x40, INSTANCE_AID);
  const loadFiles = count(0x10, PACKAGE_AID);
  expect(swOf(card.transmit(buildSelect(LOYALTY_APPLET_AID)))).toBe(0x9000);
  const r = card.transmit(buildGetBalance());
  expect(swOf(r)).toBe(0x9000);
  card.powerOff();
  return { instances, loadFiles, balance: readUint(r.subarray(0, 4)), credits: readUint(r.subarray(4, 6)) };
}

const lane = postgresLane(findPostgresBin);
describe.skipIf(lane.skip !== undefined)(`issuer instances as processes over one PostgreSQL database${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  let cluster: PrivatePostgres | undefined;
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('an issuer instance refuses a data directory or database no provider instance initialised, and needs --database', async () => {
    const empty = tempDir('cardlab-multi-instance-empty-');
    await expect(serve(['--issuer-only', '--database', cluster!.url, '--data-dir', empty, '--issuer-port', '0'], ['issuer'])).rejects.toThrow(/is not initialised: start the provider instance \(cardlab serve --provider-only\)/);
    await expect(serve(['--issuer-only', '--data-dir', empty, '--issuer-port', '0'], ['issuer'])).rejects.toThrow(/--issuer-only needs --database/);
    await expect(serve(['--issuer-only', '--provider-only', '--database', cluster!.url, '--data-dir', empty], ['issuer'])).rejects.toThrow(/cannot be used with/);
  }, 60_000);

  it(`provisions ${CARDS} cards through ${ISSUERS} issuer processes, each request on another instance than the last, one killed with SIGKILL mid-run: every card installed once, every order confirmed once, the provider told once per member, no session lost`, async () => {
    const t0 = performance.now();
    const dataDir = tempDir('cardlab-multi-instance-');
    const database = cluster!.url;
    const processes: Process[] = [];
    let proxy: RoundRobinProxy | undefined;
    const db = new pg.Client({ connectionString: database });
    try {
      // The first process creates everything the instances share; then the issuers start together.
      const provider = await serve(['--provider-only', '--database', database, '--data-dir', dataDir, '--provider-port', '0'], ['provider', 'service']);
      processes.push(provider);
      const issuers = await Promise.all(
        Array.from({ length: ISSUERS }, () => serve(['--issuer-only', '--database', database, '--data-dir', dataDir, '--issuer-port', '0', '--outbox-claim-ms', '2000'], ['issuer'])),
      );
      processes.push(...issuers);
      const started = performance.now();
      // Once a third of the cards completed, the issuer dies right after it accepted a SERAM handshake, before
      // the terminal has the answer: that session's reports must go on at the other instances.
      let completed = 0;
      let killedAt = -1;
      proxy = await startRoundRobinProxy(
        issuers.map((i) => i.lines.issuer!),
        {
          onAnswer: (f) => {
            if (killedAt >= 0 || completed < CARDS / 3 || f.instance !== KILLED || f.path !== '/gp/seram/handshake' || f.status !== 200) return;
            killedAt = proxy!.forwarded.length;
            issuers[KILLED]!.child.kill('SIGKILL');
          },
        },
      );
      const { box, secrets } = openDataDir(dataDir, systemRandom());
      const keys = await loadOrCreateIssuerKeys(join(dataDir, 'issuer', 'keys'), systemRandom(), box);
      const providerUrl = provider.lines.provider!;
      const serviceId = provider.lines.service!;

      const cards: SimCard[] = [];
      for (let i = 0; i < CARDS; i += 20) cards.push(...(await Promise.all(Array.from({ length: Math.min(20, CARDS - i) }, (_, j) => newCard(proxy!.url, secrets.adminToken, keys.dap.publicKey, 5000 + i + j)))));
      const registered = performance.now();

      // Terminals take the cards in turn.
      const unfinished: number[] = [];
      const failures: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: TERMINALS }, async () => {
          for (let i = next++; i < CARDS; i = next++) {
            for (let flow = 1; ; flow++) {
              const result = await asTerminal(`card-${i}`, () => provision({ reader: createSimReader(cards[i]!.card), issuerUrl: proxy!.url, providerUrl, serviceId }));
              if (result.outcome === 'completed') break;
              failures.push(`card ${i} flow ${flow}: ${result.error?.step} ${result.error?.code} ${result.error?.message}`);
              if (flow === 4) {
                unfinished.push(i);
                break;
              }
            }
            completed++;
          }
        }),
      );
      const provisioned = performance.now();
      console.log(
        `multi-instance: ${CARDS} cards, ${TERMINALS} terminals, ${ISSUERS} issuer processes; start ${((started - t0) / 1000).toFixed(1)} s, registration ${((registered - started) / 1000).toFixed(1)} s, ` +
          `provisioning ${((provisioned - registered) / 1000).toFixed(1)} s (${((CARDS * 1000) / (provisioned - registered)).toFixed(1)} flows/s); flows run again after the kill: ${failures.length}`,
      );
      for (const f of failures) console.log(`  ${f}`);

      // The balancer: every terminal's consecutive requests on different instances; the dead one answered nothing after its death.
      const byTerminal = new Map<string, number[]>();
      for (const f of proxy.forwarded) if (f.instance >= 0 && f.terminal !== '') byTerminal.set(f.terminal, [...(byTerminal.get(f.terminal) ?? []), f.instance]);
      expect(byTerminal.size).toBe(CARDS);
      const repeats = [...byTerminal].filter(([, seq]) => seq.some((x, k) => k > 0 && x === seq[k - 1])).map(([t]) => t);
      expect(repeats).toEqual([]);
      const after = proxy.forwarded.slice(killedAt);
      expect(killedAt).toBeGreaterThan(0);
      expect(after.filter((f) => f.instance === KILLED && !f.lost)).toEqual([]);
      expect(proxy.forwarded.slice(0, killedAt).filter((f) => f.instance === KILLED).length).toBeGreaterThan(0);
      const refusedThenServed = after.filter((f) => f.refused.includes(KILLED) && f.instance >= 0).length;
      console.log(`  requests: ${proxy.forwarded.length}, ${refusedThenServed} refused by the dead instance and answered by another, ${proxy.forwarded.filter((f) => f.lost).length} lost with it`);
      expect(refusedThenServed).toBeGreaterThan(0);
      // SERAM sessions the dead instance had a part in that went on, after its death, on the others.
      let continued = 0;
      for (const terminal of byTerminal.keys()) {
        let partOnDead = false;
        for (const [k, f] of proxy.forwarded.entries()) {
          if (f.terminal !== terminal || !f.path.startsWith('/gp/seram/')) continue;
          if (f.path === '/gp/seram/handshake') partOnDead = false;
          if (f.instance === KILLED && !f.lost && k < killedAt) partOnDead = true;
          if (partOnDead && k >= killedAt && f.instance !== KILLED && f.status === 200) {
            continued++;
            break;
          }
        }
      }
      console.log(`  SERAM sessions with a part on the dead instance that continued on another after its death: ${continued}`);
      expect(continued).toBeGreaterThan(0);

      // Every terminal completed (within four flows).
      expect(unfinished).toEqual([]);

      // The cards themselves: the applet once, its load file once, the opening credit once.
      const contents = cards.map(onCard);
      expect(contents.filter((c) => c.instances !== 1 || c.loadFiles !== 1 || c.balance !== 100 || c.credits !== 1)).toEqual([]);

      // The databases, after the remaining issuers stopped (their outboxes idle).
      for (const p of processes) await stop(p);
      await db.connect();
      const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
      const cins = cards.map((c) => c.cin);
      const ours = await q<{ id: string; cin: string }>('SELECT id, cin FROM issuer.cards WHERE cin = ANY($1)', [cins]);
      expect(ours).toHaveLength(CARDS);
      const cardIds = ours.map((c) => c.id);
      const orders = await q<{ id: string; card_id: string; state: string }>('SELECT id, card_id, state FROM issuer.install_orders WHERE card_id = ANY($1)', [cardIds]);
      const confirmed = orders.filter((o) => o.state === 'confirmed');
      expect(new Set(confirmed.map((o) => o.card_id)).size).toBe(CARDS);
      expect(confirmed).toHaveLength(CARDS);
      expect(orders.filter((o) => ['requested', 'authorised', 'delivered'].includes(o.state))).toEqual([]);
      expect(await q("SELECT order_id, count(*) FROM issuer.order_events WHERE to_state = 'confirmed' GROUP BY order_id HAVING count(*) > 1")).toEqual([]);
      const installed = await q<{ card_id: string; n: string }>('SELECT card_id, count(*) AS n FROM issuer.card_contents WHERE card_id = ANY($1) GROUP BY card_id', [cardIds]);
      expect(installed.filter((c) => Number(c.n) !== 2)).toEqual([]);
      expect(installed).toHaveLength(CARDS);

      const outbox = await q<{ id: string; order_id: string; delivered_at: string | null }>('SELECT id, order_id, delivered_at FROM issuer.outbox WHERE order_id = ANY($1)', [confirmed.map((o) => o.id)]);
      expect(outbox).toHaveLength(CARDS);
      expect(outbox.filter((n) => n.delivered_at === null)).toEqual([]);
      const members = await q<{ card_id: string; order_id: string; notification_id: string; state: string }>('SELECT card_id, order_id, notification_id, state FROM provider.members WHERE card_id = ANY($1)', [cins]);
      expect(members).toHaveLength(CARDS);
      expect(members.filter((m) => m.state !== 'active')).toEqual([]);
      const notificationOf = new Map(outbox.map((n) => [n.order_id, n.id]));
      expect(members.filter((m) => notificationOf.get(m.order_id) !== m.notification_id)).toEqual([]);
      const told = await q<{ id: string; received_count: string }>('SELECT id, received_count FROM provider.notifications WHERE id = ANY($1)', [outbox.map((n) => n.id)]);
      expect(told).toHaveLength(CARDS);
      const starts = await q<{ acknowledged_at: string | null }>('SELECT acknowledged_at FROM provider.starts WHERE card_id = ANY($1)', [cins]);
      expect(starts).toHaveLength(CARDS);
      expect(starts.filter((s) => s.acknowledged_at === null)).toEqual([]);
      // A session ends with its order. One whose report died inside the killed instance was left by its terminal,
      // whose next flow resumed the order in a new session: it stays until swept as idle, its order confirmed.
      const left = await q<{ state: string }>('SELECT o.state FROM issuer.seram_sessions s JOIN issuer.install_orders o ON o.id = s.order_id WHERE o.card_id = ANY($1)', [cardIds]);
      expect(left.filter((o) => o.state !== 'confirmed')).toEqual([]);
      expect(left.length).toBeLessThanOrEqual(failures.length);
      console.log(
        `  SERAM sessions left by a terminal whose report died with the instance (their orders resumed and confirmed): ${left.length}; ${orders.length - CARDS} orders besides the confirmed ones (failed: ${orders.filter((o) => o.state === 'failed').length}); notifications sent more than once (the provider recorded each once): ${told.filter((t) => Number(t.received_count) > 1).length}; total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      await db.end().catch(() => undefined);
      await proxy?.close();
      for (const p of processes) await stop(p);
    }
  }, 180_000);
});
