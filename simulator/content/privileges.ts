/**
 * Privileges of an application (GPCS 2.3.1 §6.6.1, §11.1.2 Tables 11-7..11-9): three bytes; a one-byte
 * privileges field (GP 2.1.1 coding) is byte 1 with bytes 2 and 3 zero.
 */
export const PRIVILEGE = {
  /** Byte 1 b8: Security Domain. */
  SECURITY_DOMAIN: { byte: 0, bit: 0x80 },
  /** Byte 1 b3: Card Reset — the holder is implicitly selected on the basic channel after a reset (GPCS §6.6.1.5). */
  CARD_RESET: { byte: 0, bit: 0x04 },
} as const;

export type Privilege = (typeof PRIVILEGE)[keyof typeof PRIVILEGE];

/** The privileges field as three bytes (GPCS §11.1.2: a one-byte field is byte 1). */
export function threeBytePrivileges(field: Uint8Array): Uint8Array {
  return field.length === 3 ? field : Uint8Array.of(field[0] ?? 0, 0, 0);
}

/** Does this three-byte privileges value hold the privilege? */
export function hasPrivilege(privileges: Uint8Array, p: Privilege): boolean {
  return ((privileges[p.byte] ?? 0) & p.bit) !== 0;
}

/**
 * The privileges this card can assign to an application, as its Card Capability Information says (GET DATA 67,
 * tag 82, GPCS 2.3.1 Annex H.4): Card Reset only — no Supplementary Security Domains, and none of the other
 * privileges (Card Lock, Card Terminate, CVM Management, Final Application, …) has a behaviour here.
 */
export const APPLICATION_PRIVILEGES: Uint8Array = Uint8Array.of(PRIVILEGE.CARD_RESET.bit, 0x00, 0x00);

/** Does this three-byte privileges value ask for a privilege the card does not offer to applications? */
export function hasUnassignablePrivilege(privileges: Uint8Array): boolean {
  return privileges.some((b, i) => (b & ~(APPLICATION_PRIVILEGES[i] ?? 0)) !== 0);
}

/** The privileges without one of them. */
export function withoutPrivilege(privileges: Uint8Array, p: Privilege): Uint8Array {
  const out = Uint8Array.from(privileges);
  out[p.byte] = (out[p.byte] ?? 0) & ~p.bit;
  return out;
}
