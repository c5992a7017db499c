import { equalBytes } from '../bytes.ts';
import { aesCmac, signEcdsa, verifyEcdsa, type EcCurve } from '../crypto/index.ts';
import { receiptMessage, type Confirmation } from './data/index.ts';

/** The key an off-card entity checks receipts with (GPCS C.5): the shared AES key or the card's public key. */
export type ReceiptKey = { type: 'aes'; key: Uint8Array } | { type: 'ecdsa'; curve: EcCurve; publicKey: Uint8Array };

/** The key the Receipt Generation SD computes receipts with (GPCS C.5, KVN 71 by convention). */
export type ReceiptSigningKey = { type: 'aes'; key: Uint8Array } | { type: 'ecdsa'; curve: EcCurve; privateKey: Uint8Array };

/** An AES receipt: AES-CMAC with ICV 0 over the message, all 16 bytes (GPCS C.5, AMD-D 8.3). */
export function computeAesReceipt(key: Uint8Array, message: Uint8Array): Uint8Array {
  return aesCmac(key, message);
}

/**
 * Computes a receipt over `confirmation data ‖ operation data` (GPCS C.5, reference §9.3/§9.4):
 * AES-CMAC (16 bytes) or ECDSA/SHA-256 raw r‖s (64 bytes, the signature-based confirmation).
 */
export function computeReceipt(key: ReceiptSigningKey, message: Uint8Array): Uint8Array {
  return key.type === 'aes' ? computeAesReceipt(key.key, message) : signEcdsa(key.curve, key.privateKey, message);
}

/**
 * Checks the receipt of a parsed confirmation (GPCS C.5): the message is the confirmation data as
 * received followed by `operationData` (RECEIPT_CONTEXT in `gp/data`). A wrong or malformed receipt
 * returns false.
 */
export function verifyReceipt(key: ReceiptKey, confirmation: Confirmation, operationData: Uint8Array): boolean {
  const message = receiptMessage(confirmation.confirmationData, operationData);
  if (key.type === 'aes') return confirmation.receipt.length === 16 && equalBytes(computeAesReceipt(key.key, message), confirmation.receipt);
  return verifyEcdsa(key.curve, key.publicKey, message, confirmation.receipt);
}
