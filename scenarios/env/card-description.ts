import { fromHex, toHex } from '../../protocol/bytes.ts';
import type { Card } from '../../simulator/index.ts';
import { demoCardOf } from './demo-card.ts';

/**
 * A card as an issuer registers it: exactly the body of the issuer's `POST /admin/cards` (servers/README.md,
 * "Admin" and "Keys"), so `curl -H 'content-type: application/json' -d @card-description.json …/admin/cards`
 * enrols it. Hex throughout; `keys` only when asked for (the issuer then keeps these keys instead of
 * deriving per-card keys of its own).
 */
export interface CardDescription {
  cardholderId: string;
  /** Issuer Identification Number (GET DATA 42). */
  iin: string;
  /** Card Image Number (GET DATA 45). */
  cin: string;
  /** IC serial number, from the CPLC (GET DATA 9F7F). */
  icSerial: string;
  isdAid: string;
  /** The card's signing key, uncompressed point 04‖X‖Y, which the issuer CA certifies. */
  cardPublicKey: string;
  curve: 'P-256' | 'brainpoolP256r1';
  keys?: { kvn: number; enc: string; mac: string; dek: string };
}

/** What `POST /admin/cards` answers: the card's id, its certificate (DER, hex) and, when the issuer derived them, its ISD keys. */
export interface CardRegistration {
  cardId: string;
  certificate: string;
  keys?: { kvn: number; enc: string; mac: string; dek: string };
}

/**
 * Describes a simulated card for an issuer's registration: its card-unique data as GET DATA answers it
 * (GPCS 11.3: 42, 45, 9F7F), its ISD AID, its signing public key, and with `withKeys` its ISD keyset.
 */
export function describeCard(card: Card, options: { cardholderId: string; withKeys?: boolean }): CardDescription {
  const demo = demoCardOf(card);
  const description: CardDescription = {
    cardholderId: options.cardholderId,
    iin: toHex(demo.iin),
    cin: toHex(demo.cin),
    icSerial: toHex(demo.icSerial),
    isdAid: toHex(card.profile.isdAid),
    cardPublicKey: toHex(demo.publicKey),
    curve: demo.curve,
  };
  if (options.withKeys) {
    const k = card.keyset();
    if (!k) throw new Error('the card holds no ISD keyset');
    description.keys = { kvn: k.kvn, enc: toHex(k.enc), mac: toHex(k.mac), dek: toHex(k.dek) };
  }
  return description;
}

/** Why a value is not a registration answer, or undefined. */
function registrationProblem(value: unknown): string | undefined {
  const v = value as Partial<CardRegistration> | null;
  if (v === null || typeof v !== 'object') return 'expected the JSON answer of POST /admin/cards: { cardId, certificate, keys? }';
  if (typeof v.certificate !== 'string' || !/^([0-9A-Fa-f]{2})+$/.test(v.certificate)) return 'certificate: expected the DER certificate as hex';
  if (v.keys !== undefined && (typeof v.keys !== 'object' || typeof v.keys.kvn !== 'number' || ![v.keys.enc, v.keys.mac, v.keys.dek].every((k) => typeof k === 'string'))) return 'keys: expected { kvn, enc, mac, dek }';
  return undefined;
}

/**
 * The issuer's personalisation step on a simulated card, from its registration answer: stores the card
 * certificate (GET DATA 7F21) and, when the issuer derived the card's ISD keys, puts them in place of
 * the card's own (GPCS 11.8 PUT KEY's effect; the profile's keyset is removed). Returns what it did.
 */
export function personaliseCard(card: Card, answer: unknown): string[] {
  const problem = registrationProblem(answer);
  if (problem) throw new Error(problem);
  const registration = answer as CardRegistration;
  card.installCertificate(fromHex(registration.certificate));
  const done = [`certificate installed${registration.cardId ? ` (card ${registration.cardId})` : ''}`];
  if (registration.keys) {
    const k = registration.keys;
    card.installKeys({ kvn: k.kvn, enc: fromHex(k.enc), mac: fromHex(k.mac), dek: fromHex(k.dek) });
    done.push(`ISD keys of version ${k.kvn.toString(16).padStart(2, '0').toUpperCase()} installed (the issuer derived them)`);
  }
  return done;
}
