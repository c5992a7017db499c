import type { SqlRow } from '../../db/index.ts';
import type { MemberRecord, ServiceRecord, StartRecord } from './provider-store.ts';

/* The provider's rows as records, for both stores (SQLite and PostgreSQL hand out the same values). */

export const toService = (r: SqlRow): ServiceRecord => ({
  id: r.id as string,
  name: r.name as string,
  description: r.description as string,
  packageAid: r.package_aid as string,
  appletAid: r.applet_aid as string,
  instanceAid: r.instance_aid as string,
  startCommands: JSON.parse(r.start_commands as string) as string[],
  openingCredit: (r.opening_credit ?? null) as number | null,
  createdAt: r.created_at as number,
});

export const toMember = (r: SqlRow): MemberRecord => ({
  serviceId: r.service_id as string,
  cardId: r.card_id as string,
  orderId: r.order_id as string,
  notificationId: r.notification_id as string,
  state: r.state as MemberRecord['state'],
  joinedAt: r.joined_at as number,
  activatedAt: (r.activated_at ?? null) as number | null,
  curve: (r.card_curve ?? null) as string | null,
  cardPublicKey: (r.card_public_key ?? null) as string | null,
});

export const toRequest = (r: SqlRow) => ({
  nonce: r.nonce as string,
  serviceId: r.service_id as string,
  cardId: r.card_id as string,
  request: r.request as Uint8Array,
  expiresAt: r.expires_at as number,
  createdAt: r.created_at as number,
});

export const toStart = (r: SqlRow): StartRecord => ({
  id: r.id as string,
  serviceId: r.service_id as string,
  cardId: r.card_id as string,
  orderId: r.order_id as string,
  commands: JSON.parse(r.commands as string) as string[],
  createdAt: r.created_at as number,
  acknowledgedAt: (r.acknowledged_at ?? null) as number | null,
  responses: r.responses === null || r.responses === undefined ? null : (JSON.parse(r.responses as string) as string[]),
});
