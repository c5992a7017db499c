import { buildTlv } from '../../tlv/index.ts';

/** Key types of the Key Information Template (GPCS Table 11-16). */
export const KEY_TYPE = {
  DES: 0x80,
  AES: 0x88,
  RSA_PUBLIC_EXPONENT: 0xa0,
  RSA_MODULUS: 0xa1,
  ECC_PUBLIC: 0xb0,
  ECC_PRIVATE: 0xb1,
  ECC_PARAMETER_REFERENCE: 0xf0,
} as const;

export interface KeyInformation {
  keyId: number;
  kvn: number;
  /** One (type, length in bytes) pair per key component; length ≥ 256 is coded 00 (basic format). */
  components: Array<{ type: number; length: number }>;
}

/**
 * Key Information Template, tag E0, basic format: one `C0 <id> <kvn> <type> <len>…` per key
 * (GPCS 11.3.3.1.1). The answer to GET DATA 00E0.
 */
export function buildKeyInformationTemplate(keys: KeyInformation[]): Uint8Array {
  return buildTlv(
    0xe0,
    keys.map((k) => {
      const data = [k.keyId, k.kvn];
      for (const c of k.components) data.push(c.type, c.length >= 256 ? 0 : c.length);
      return buildTlv(0xc0, new Uint8Array(data));
    }),
  );
}

/** The three keys of an SCP03 keyset (ENC id 1, MAC id 2, DEK id 3), all AES of the same length. */
export function scp03KeysetInformation(kvn: number, keyLength: number): KeyInformation[] {
  return [1, 2, 3].map((keyId) => ({ keyId, kvn, components: [{ type: KEY_TYPE.AES, length: keyLength }] }));
}
