/**
 * Short readings of primitive values for annotated traces: what a number, privilege set or key
 * description in a GP data object means. Each returns undefined when the value does not have the
 * expected shape, so describe() falls back to plain hex instead of guessing.
 */

function uint(value: Uint8Array): number | undefined {
  if (value.length === 0 || value.length > 6) return undefined;
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

/** Single-bit privileges of bytes 1–3 (GPCS Tables 11-7..11-9); DAP and DM are b8 combined with b7/b6. */
const PRIVILEGE_BITS: ReadonlyArray<[byte: number, bit: number, name: string]> = [
  [0, 0x10, 'Card Lock'], [0, 0x08, 'Card Terminate'], [0, 0x04, 'Card Reset'], [0, 0x02, 'CVM Management'],
  [1, 0x80, 'Trusted Path'], [1, 0x40, 'Authorized Management'], [1, 0x20, 'Token Verification'],
  [1, 0x10, 'Global Delete'], [1, 0x08, 'Global Lock'], [1, 0x04, 'Global Registry'], [1, 0x02, 'Final Application'],
  [1, 0x01, 'Global Service'], [2, 0x80, 'Receipt Generation'], [2, 0x40, 'Ciphered Load File Data Block'],
  [2, 0x20, 'Contactless Activation'], [2, 0x10, 'Contactless Self-Activation'],
];

/** Names of the privileges set in a 1- or 3-byte privilege field (GPCS 11.1.2), e.g. 9EFE80 for a typical ISD. */
export function privilegeNames(value: Uint8Array): string[] {
  const b1 = value[0] ?? 0;
  const names: string[] = [];
  if (b1 & 0x80) {
    names.push('Security Domain');
    if (b1 & 0x40) names.push(b1 & 0x01 ? 'Mandated DAP Verification' : 'DAP Verification');
    if (b1 & 0x20) names.push('Delegated Management');
  }
  for (const [byte, bit, name] of PRIVILEGE_BITS) if (((value[byte] ?? 0) & bit) !== 0) names.push(name);
  return names;
}

const KEY_TYPES: Record<number, string> = { 0x80: 'DES', 0x88: 'AES', 0xa0: 'RSA public exponent', 0xa1: 'RSA modulus', 0xb0: 'ECC public key', 0xb1: 'ECC private key', 0xf0: 'ECC parameters' };

/** Basic-format key information data (GPCS 11.3.3.1.1): `key 01 KVN 30: AES 16 bytes`. */
export function keyInformationNote(value: Uint8Array): string | undefined {
  if (value.length < 4 || value[2] === 0xff || value.length % 2 !== 0) return undefined;
  const parts: string[] = [];
  for (let i = 2; i < value.length; i += 2) {
    const len = value[i + 1]!;
    parts.push(`${KEY_TYPES[value[i]!] ?? `type ${value[i]!.toString(16)}`} ${len === 0 ? '≥256' : len} bytes`);
  }
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  return `key ${hex(value[0]!)} KVN ${hex(value[1]!)}: ${parts.join(', ')}`;
}

/** Dotted OBJECT IDENTIFIER (X.690 §8.19), arcs base-128 as the Card Recognition Data uses them. */
export function oidNote(value: Uint8Array): string | undefined {
  if (value.length === 0 || (value[value.length - 1]! & 0x80) !== 0) return undefined;
  const arcs: number[] = [];
  let arc = 0;
  for (const b of value) {
    arc = arc * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (arcs.length === 0) arcs.push(arc < 80 ? Math.floor(arc / 40) : 2, arc < 80 ? arc % 40 : arc - 80);
    else arcs.push(arc);
    arc = 0;
  }
  return arcs.join('.');
}

/** An inline reading of a primitive value in its parent's context, or undefined to show hex only. */
export function valueNote(tag: number, parentTag: number | undefined, value: Uint8Array): string | undefined {
  if (parentTag === 0xff21 && tag >= 0x81 && tag <= 0x83) {
    const n = uint(value);
    return n === undefined ? undefined : tag === 0x81 ? `${n}` : `${n} bytes`;
  }
  if (parentTag === 0xef && [0xc6, 0xc7, 0xc8, 0xd7, 0xd8].includes(tag)) {
    const n = uint(value);
    return n === undefined ? undefined : `${n} bytes`;
  }
  if (tag === 0x9f65) return uint(value)?.toString();
  if (tag === 0xc5) return value.length === 1 || value.length === 3 ? privilegeNames(value).join(', ') || 'none' : undefined;
  if (tag === 0xc0 && parentTag === 0xe0) return keyInformationNote(value);
  if (tag === 0x06) return oidNote(value);
  return undefined;
}
