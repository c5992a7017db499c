import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { generateEcKeyPair, seededRandom } from '../crypto/index.ts';
import { buildConfirmation, buildConfirmationData, parseConfirmation, receiptMessage, RECEIPT_CONTEXT } from './data/index.ts';
import { computeAesReceipt, computeReceipt, verifyReceipt } from './receipt.ts';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');
const SD_UNIQUE = fromHex('112233445566778899AABB');
const ELF = fromHex('D0D1D2D3D4D501');
const INSTANCE = fromHex('D0D1D2D3D4D50101');
const ISD = fromHex('A000000151000000');

function confirmationOf(counter: number, operationData: Uint8Array, sign: (m: Uint8Array) => Uint8Array) {
  const data = buildConfirmationData(counter, SD_UNIQUE);
  return parseConfirmation(buildConfirmation(sign(receiptMessage(data, operationData)), data))!;
}

describe('receipts (GPCS C.5, reference §9.3 worked example)', () => {
  it.each([
    ['install', 1, RECEIPT_CONTEXT.install(ELF, INSTANCE), '93FD1AC894AB5CD48FB34943AEF5EA5C'],
    ['load', 0, RECEIPT_CONTEXT.load(ELF, ISD), '765B3133E2AEE4066E25749F7BE9D41B'],
    ['delete', 2, RECEIPT_CONTEXT.delete(INSTANCE), '59A4881125C1FCD892E5179CC3F2FFD1'],
  ])('reproduces and verifies the %s receipt', (_name, counter, operationData, expected) => {
    const confirmation = confirmationOf(counter, operationData, (m) => computeAesReceipt(KEY, m));
    expect(toHex(confirmation.receipt)).toBe(expected);
    expect(verifyReceipt({ type: 'aes', key: KEY }, confirmation, operationData)).toBe(true);
    expect(verifyReceipt({ type: 'aes', key: KEY }, confirmation, RECEIPT_CONTEXT.delete(ELF))).toBe(false);
  });

  it('verifies the install response of the reference as received', () => {
    const confirmation = parseConfirmation(fromHex('201093FD1AC894AB5CD48FB34943AEF5EA5C0200010B112233445566778899AABB'))!;
    expect(verifyReceipt({ type: 'aes', key: KEY }, confirmation, RECEIPT_CONTEXT.install(ELF, INSTANCE))).toBe(true);
  });

  it.each(['P-256', 'brainpoolP256r1'] as const)('verifies a card-signed ECDSA %s receipt (§9.4) and refuses one altered byte', (curve) => {
    const card = generateEcKeyPair(curve, seededRandom(`receipt-${curve}`));
    const operationData = RECEIPT_CONTEXT.install(ELF, INSTANCE);
    const confirmation = confirmationOf(7, operationData, (m) => computeReceipt({ type: 'ecdsa', curve, privateKey: card.privateKey }, m));
    expect(confirmation.receipt.length).toBe(64);
    const key = { type: 'ecdsa', curve, publicKey: card.publicKey } as const;
    expect(verifyReceipt(key, confirmation, operationData)).toBe(true);
    const tampered = { ...confirmation, receipt: confirmation.receipt.slice() };
    tampered.receipt[0]! ^= 0x80;
    expect(verifyReceipt(key, tampered, operationData)).toBe(false);
    const otherCounter = { ...confirmation, confirmationData: confirmation.confirmationData.slice() };
    otherCounter.confirmationData[2]! ^= 0x01;
    expect(verifyReceipt(key, otherCounter, operationData)).toBe(false);
  });

  it('refuses an AES receipt of the wrong length', () => {
    const confirmation = confirmationOf(1, RECEIPT_CONTEXT.install(ELF, INSTANCE), (m) => computeAesReceipt(KEY, m).subarray(0, 8));
    expect(verifyReceipt({ type: 'aes', key: KEY }, confirmation, RECEIPT_CONTEXT.install(ELF, INSTANCE))).toBe(false);
  });
});
