import Database from 'libsql';
import { join } from 'node:path';
import { parseCommandApdu } from '../../protocol/apdu/index.ts';
import { fromHex, readUint, toHex } from '../../protocol/bytes.ts';
import { buildGetStatus, buildSelect } from '../../protocol/gp/commands/index.ts';
import { parseRegistryEntries } from '../../protocol/gp/data/index.ts';
import { seededRandom } from '../../protocol/crypto/index.ts';
import { Scp03HostSession } from '../../protocol/gp/scp03/index.ts';
import { buildGetBalance, CREDIT_ONCE_P1, LOYALTY_CLA, LOYALTY_INS, TRANSACTION_ID_LENGTH } from '../../protocol/loyalty/index.ts';
import { loadCard, type Card } from '../../simulator/index.ts';
import { dataOf, swOf } from '../support/card-host.ts';

/** What a provisioned card must show, read from the service definition the provider holds. */
export interface Expectation {
  serviceId: string;
  packageAid: string;
  instanceAid: string;
  /** The sum of the CREDIT commands the service sends at start, and how many there are. */
  openingCredit: number;
  credits: number;
  /** Does the provider record each start (the card-bound, acknowledged start's `starts` table)? */
  recordsStarts: boolean;
}

/**
 * The service as the provider's database defines it: its opening credit (sent as CREDIT [once] at
 * start) and any CREDIT among its fixed start commands add up to the balance a started card holds;
 * each is one transaction of the applet's counter.
 */
export function expectationFromService(dataDir: string, serviceId: string): Expectation {
  const row = query<{ package_aid: string; instance_aid: string; start_commands: string; opening_credit?: number | null }>(join(dataDir, 'provider', 'provider.db'), 'SELECT * FROM services WHERE id = ?', [serviceId])[0];
  if (!row) throw new Error(`the provider has no service ${serviceId}`);
  const amounts = (JSON.parse(row.start_commands) as string[])
    .map((hex) => parseCommandApdu(fromHex(hex)))
    .filter((c) => c.cla === LOYALTY_CLA && c.ins === LOYALTY_INS.CREDIT)
    .map((c) => readUint(c.p1 === CREDIT_ONCE_P1 ? c.data.subarray(TRANSACTION_ID_LENGTH) : c.data));
  if (row.opening_credit) amounts.push(row.opening_credit);
  if (amounts.length === 0) throw new Error(`service ${serviceId} starts without a credit: the crash campaign cannot tell what opening balance to expect`);
  const recordsStarts = query(join(dataDir, 'provider', 'provider.db'), "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'starts'").length === 1;
  return { serviceId, packageAid: row.package_aid, instanceAid: row.instance_aid, openingCredit: amounts.reduce((a, b) => a + b, 0), credits: amounts.length, recordsStarts };
}

function query<T>(file: string, sql: string, params: unknown[] = []): T[] {
  const db = new Database(file);
  try {
    return db.prepare(sql).all(params) as T[];
  } finally {
    db.close();
  }
}

/** The card as the cardholder holds it after the campaign's runs, as the issuer, the provider and SQLite record it. */
export interface Verdict {
  card: { instances: number; loadFiles: number; balance: number | string; credits: number | string };
  issuer: {
    confirmedOrders: number;
    /** Orders left open (`requested`, `authorised`, `delivered`): an abandoned order would block the card and application. */
    ordersLeftOpen: string[];
    contents: string[];
    /** The outbox rows of the confirmed order: `delivered` or `pending`. */
    notifications: string[];
  };
  /** Members, notifications received (one row per notificationId) and, where recorded, the starts: `acknowledged` or `pending`. */
  provider: { members: string[]; notifications: number; starts?: string[] };
  integrity: { issuer: string; provider: string };
}

/** The verdict every kill point must reach once the terminal completed again. */
export function expectedVerdict(e: Expectation): Verdict {
  return {
    card: { instances: 1, loadFiles: 1, balance: e.openingCredit, credits: e.credits },
    issuer: { confirmedOrders: 1, ordersLeftOpen: [], contents: [`${e.packageAid} load_file`, `${e.instanceAid} application`].sort(), notifications: ['delivered'] },
    provider: { members: [`${e.serviceId} active (confirmed order)`], notifications: 1, ...(e.recordsStarts ? { starts: ['acknowledged (confirmed order)'] } : {}) },
    integrity: { issuer: 'ok', provider: 'ok' },
  };
}

/** An SCP03 session (level 03) with the ISD under the keyset the card holds now (the issuer's per-card keys). */
function isdSession(card: Card): (plain: Uint8Array) => Uint8Array {
  const k = card.keyset();
  if (!k) throw new Error('the card holds no ISD keyset');
  const host = new Scp03HostSession({ keys: { enc: k.enc, mac: k.mac, dek: k.dek }, kvn: k.kvn, random: seededRandom('crash-campaign') });
  const init = card.transmit(host.initializeUpdateCommand());
  if (swOf(init) !== 0x9000) throw new Error(`INITIALIZE UPDATE answered ${swOf(init).toString(16)}`);
  host.processInitializeUpdateResponse(dataOf(init));
  const auth = card.transmit(host.externalAuthenticateCommand(0x03));
  if (swOf(auth) !== 0x9000) throw new Error(`EXTERNAL AUTHENTICATE answered ${swOf(auth).toString(16)}`);
  return (plain) => host.unwrap(card.transmit(host.wrap(plain)));
}

/** Registry entries of one GET STATUS subset whose AID is `aid` (6A88: none). */
function countOnCard(send: (c: Uint8Array) => Uint8Array, subset: number, aid: string): number {
  const r = send(buildGetStatus({ subset }));
  if (swOf(r) === 0x6a88) return 0;
  if (swOf(r) !== 0x9000) throw new Error(`GET STATUS ${subset.toString(16)} answered ${swOf(r).toString(16)}`);
  return parseRegistryEntries(dataOf(r)).filter((x) => toHex(x.aid) === aid).length;
}

/**
 * Reads everything the claim is about, after the servers stopped: GET STATUS over an SCP03 session
 * with the ISD and GET BALANCE on the card image; orders, contents and outbox in issuer.db; members
 * and notifications in provider.db; `PRAGMA integrity_check` of both.
 */
export function inspect(dataDir: string, cardPath: string, e: Expectation): Verdict & { orders: string[] } {
  const card = loadCard(cardPath);
  card.powerOn();
  if (swOf(card.transmit(buildSelect())) !== 0x9000) throw new Error('the ISD does not select');
  const send = isdSession(card);
  const instances = countOnCard(send, 0x40, e.instanceAid);
  const loadFiles = countOnCard(send, 0x10, e.packageAid);
  let balance: number | string = 'no applet';
  let credits: number | string = 'no applet';
  const selected = card.transmit(buildSelect(fromHex(e.instanceAid)));
  if (swOf(selected) === 0x9000) {
    const r = card.transmit(buildGetBalance());
    if (swOf(r) === 0x9000) {
      balance = readUint(r.subarray(0, 4));
      credits = readUint(r.subarray(4, 6));
    } else balance = credits = `GET BALANCE answered ${swOf(r).toString(16)}`;
  }
  card.powerOff();

  const issuerDb = join(dataDir, 'issuer', 'issuer.db');
  const providerDb = join(dataDir, 'provider', 'provider.db');
  const orders = query<{ id: string; state: string; failure_code: string | null }>(issuerDb, 'SELECT id, state, failure_code FROM install_orders ORDER BY created_at, rowid');
  const confirmed = orders.filter((o) => o.state === 'confirmed');
  const contents = query<{ aid: string; kind: string }>(issuerDb, 'SELECT aid, kind FROM card_contents').map((c) => `${c.aid} ${c.kind}`).sort();
  const outbox = query<{ id: string; order_id: string; delivered_at: number | null }>(issuerDb, 'SELECT id, order_id, delivered_at FROM outbox');
  const members = query<{ service_id: string; order_id: string; notification_id: string; state: string }>(providerDb, 'SELECT service_id, order_id, notification_id, state FROM members');
  const notifications = query<{ id: string }>(providerDb, 'SELECT id FROM notifications');
  const starts = e.recordsStarts ? query<{ order_id: string; acknowledged_at: number | null }>(providerDb, 'SELECT order_id, acknowledged_at FROM starts') : [];
  const integrity = (file: string) => query<{ integrity_check: string }>(file, 'PRAGMA integrity_check').map((r) => r.integrity_check).join('; ');
  const confirmedId = confirmed.length === 1 ? confirmed[0]!.id : undefined;
  return {
    card: { instances, loadFiles, balance, credits },
    issuer: {
      confirmedOrders: confirmed.length,
      ordersLeftOpen: orders.filter((o) => ['requested', 'authorised', 'delivered'].includes(o.state)).map((o) => `${o.id} ${o.state}`),
      contents,
      notifications: outbox.filter((n) => n.order_id === confirmedId).map((n) => (n.delivered_at === null ? 'pending' : 'delivered')),
    },
    provider: {
      members: members.map((m) => `${m.service_id} ${m.state} (${m.order_id === confirmedId && outbox.some((n) => n.id === m.notification_id) ? 'confirmed order' : `order ${m.order_id}`})`),
      notifications: notifications.length,
      ...(e.recordsStarts ? { starts: starts.map((x) => `${x.acknowledged_at === null ? 'pending' : 'acknowledged'} (${x.order_id === confirmedId ? 'confirmed order' : `order ${x.order_id}`})`) } : {}),
    },
    integrity: { issuer: integrity(issuerDb), provider: integrity(providerDb) },
    orders: orders.map((o) => `${o.state}${o.failure_code ? ` ${o.failure_code}` : ''}`),
  };
}
