import { concat } from '../../bytes.ts';
import { aesCmac } from '../../crypto/aes-cmac.ts';

/** Derivation constants of AMD-D Table 4-1. */
export const DERIVATION = {
  CARD_CRYPTOGRAM: 0x00,
  HOST_CRYPTOGRAM: 0x01,
  CARD_CHALLENGE: 0x02,
  S_ENC: 0x04,
  S_MAC: 0x06,
  S_RMAC: 0x07,
} as const;

/**
 * The SCP03 data derivation function (AMD-D 4.1.5): NIST SP 800-108 KDF in counter mode with
 * AES-CMAC as PRF. Fixed input per block i:
 *
 *   00×11 | constant | 00 | L (2 bytes, bits) | i (1 byte, from 01) | context
 *
 * The counter sits between the label and the context (not first, as SP 800-108 suggests), which is
 * why a generic SP 800-108 helper does not fit. Output is truncated to L bits.
 */
export function scp03Kdf(key: Uint8Array, constant: number, lengthBits: number, context: Uint8Array): Uint8Array {
  const blocks = Math.ceil(lengthBits / 128);
  const outputs: Uint8Array[] = [];
  for (let i = 1; i <= blocks; i++) {
    const label = new Uint8Array(16);
    label[11] = constant;
    label[13] = (lengthBits >> 8) & 0xff;
    label[14] = lengthBits & 0xff;
    label[15] = i;
    outputs.push(aesCmac(key, concat(label, context)));
  }
  return concat(...outputs).subarray(0, lengthBits / 8);
}
