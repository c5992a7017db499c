import type { SqlRow } from '../../db/index.ts';
import { SecretBox } from '../../../protocol/secrets/index.ts';
import type { ApplicationRecord, CardRecord, CardStatus, InstallOrderRecord, OrderState, OutboxRecord } from './issuer-store.ts';

/*
 * The issuer's rows as records, for both stores (SQLite and PostgreSQL hand out the same values:
 * numbers, strings, Uint8Array, null), and what both stores share about them.
 */

export const FINAL_STATES: readonly OrderState[] = ['confirmed', 'failed'];
export const OPEN_STATES = "('requested', 'authorised', 'delivered')";
/** Sealed columns and the place each value is bound to (the AAD): a sealed key copied to another row does not open. */
export const SEALED = {
  cards: { columns: ['key_enc', 'key_mac', 'key_dek'], id: 'id' },
  providers: { columns: ['hmac_secret'], id: 'id' },
  seram_sessions: { columns: ['state'], id: 'session_id' },
} as const;
export const place = (table: string, id: string, column: string) => `issuer/${table}/${id}/${column}`;

/**
 * The sealing both stores share (SecretBox, AES-256-GCM bound to the value's place): values sealed for a
 * place, opened secrets kept by their sealed bytes (a card's keys are opened once, not at every read),
 * and what re-sealing writes at start for a value still plain or sealed under an older data key.
 */
export class SealedColumns {
  readonly #opened = new Map<string, Uint8Array>();
  constructor(readonly box: SecretBox) {}

  readonly open = (sealed: Uint8Array, at: string): Uint8Array => {
    const id = `${at} ${Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length).toString('base64')}`;
    let plain = this.#opened.get(id);
    if (plain === undefined) {
      plain = this.box.open(sealed, at);
      if (this.#opened.size >= 4096) this.#opened.delete(this.#opened.keys().next().value!);
      this.#opened.set(id, plain);
    }
    return plain.slice();
  };

  seal(table: keyof typeof SEALED, id: string, column: string, value: Uint8Array): Uint8Array {
    return this.box.seal(value, place(table, id, column));
  }

  /** The value re-sealing writes for a stored one, or undefined when it is already sealed under the current key. */
  resealed(value: Uint8Array, at: string): Uint8Array | undefined {
    const sealed = SecretBox.isSealed(value);
    if (sealed && SecretBox.keyIdOf(value) === this.box.currentKeyId) return undefined;
    return this.box.seal(sealed ? this.box.open(value, at) : value, at);
  }
}

export const bytes = (v: unknown) => v as Uint8Array;
export const num = (v: unknown) => v as number;
export const str = (v: unknown) => v as string;
export const opt = <T>(v: unknown) => (v ?? null) as T | null;

export function toCard(r: SqlRow, open: (sealed: Uint8Array, at: string) => Uint8Array): CardRecord {
  const key = (column: 'key_enc' | 'key_mac' | 'key_dek') => open(bytes(r[column]), place('cards', str(r.id), column));
  return {
    id: str(r.id),
    cardholderId: str(r.cardholder_id),
    iin: str(r.iin),
    cin: str(r.cin),
    icSerial: str(r.ic_serial),
    isdAid: str(r.isd_aid),
    keys: { kvn: num(r.kvn), enc: key('key_enc'), mac: key('key_mac'), dek: key('key_dek') },
    keySource: str(r.key_source) as CardRecord['keySource'],
    curve: str(r.curve),
    publicKey: bytes(r.public_key),
    certificate: bytes(r.certificate),
    status: str(r.status) as CardStatus,
    freeNvm: opt(r.free_nvm),
    freeVm: opt(r.free_vm),
    installedCount: opt(r.installed_count),
    collatedAt: opt(r.collated_at),
    createdAt: num(r.created_at),
  };
}

export function toApplication(r: SqlRow): ApplicationRecord {
  return {
    id: str(r.id),
    providerId: str(r.provider_id),
    name: str(r.name),
    packageAid: str(r.package_aid),
    packageVersion: str(r.package_version),
    appletAids: JSON.parse(str(r.applet_aids)) as string[],
    moduleAid: str(r.module_aid),
    instanceAid: str(r.instance_aid),
    privileges: str(r.privileges),
    installParams: bytes(r.install_params),
    cap: bytes(r.cap),
    lfdb: bytes(r.lfdb),
    lfdbHash: bytes(r.lfdb_hash),
    dapSignature: bytes(r.dap_signature),
    memoryNeeded: num(r.memory_needed),
    createdAt: num(r.created_at),
  };
}

export function toOrder(r: SqlRow): InstallOrderRecord {
  return {
    id: str(r.id),
    cardId: str(r.card_id),
    applicationId: str(r.application_id),
    providerId: str(r.provider_id),
    serviceId: str(r.service_id),
    nonce: str(r.nonce),
    request: bytes(r.request),
    requestSignature: bytes(r.request_signature),
    expiresAt: num(r.expires_at),
    sessionId: str(r.session_id),
    state: str(r.state) as OrderState,
    failureCode: opt(r.failure_code),
    failureDetail: opt(r.failure_detail),
    confirmation: opt(r.confirmation),
    confirmationCounter: opt(r.confirmation_counter),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toOutbox(r: SqlRow): OutboxRecord {
  return {
    id: str(r.id),
    orderId: str(r.order_id),
    providerId: str(r.provider_id),
    body: str(r.body),
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    deliveredAt: opt(r.delivered_at),
    deadAt: opt(r.dead_at),
    lastError: opt(r.last_error),
    createdAt: num(r.created_at),
  };
}
