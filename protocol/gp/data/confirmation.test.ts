import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../bytes.ts';
import { aesCmac } from '../../crypto/index.ts';
import { buildConfirmation, buildConfirmationData, parseConfirmation, receiptMessage, RECEIPT_CONTEXT, ConfirmationError } from './confirmation.ts';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');
const SD_UNIQUE = fromHex('112233445566778899AABB');

describe('install confirmation (GPCS 11.1.6, reference §9.3 worked example)', () => {
  it('reproduces the install receipt and response of the reference', () => {
    const conf = buildConfirmationData(1, SD_UNIQUE);
    expect(toHex(conf)).toBe('0200010B112233445566778899AABB');
    const msg = receiptMessage(conf, RECEIPT_CONTEXT.install(fromHex('D0D1D2D3D4D501'), fromHex('D0D1D2D3D4D50101')));
    expect(toHex(msg)).toBe('0200010B112233445566778899AABB07D0D1D2D3D4D50108D0D1D2D3D4D50101');
    const receipt = aesCmac(KEY, msg);
    expect(toHex(receipt)).toBe('93FD1AC894AB5CD48FB34943AEF5EA5C');
    expect(toHex(buildConfirmation(receipt, conf))).toBe('201093FD1AC894AB5CD48FB34943AEF5EA5C0200010B112233445566778899AABB');
  });

  it('reproduces the load and delete receipts of the reference', () => {
    const load = receiptMessage(buildConfirmationData(0, SD_UNIQUE), RECEIPT_CONTEXT.load(fromHex('D0D1D2D3D4D501'), fromHex('A000000151000000')));
    expect(toHex(aesCmac(KEY, load))).toBe('765B3133E2AEE4066E25749F7BE9D41B');
    const del = receiptMessage(buildConfirmationData(2, SD_UNIQUE), RECEIPT_CONTEXT.delete(fromHex('D0D1D2D3D4D50101')));
    expect(toHex(aesCmac(KEY, del))).toBe('59A4881125C1FCD892E5179CC3F2FFD1');
  });

  it('parses what it builds, and 00 as "no confirmation"', () => {
    const data = fromHex('201093FD1AC894AB5CD48FB34943AEF5EA5C0200010B112233445566778899AABB');
    const c = parseConfirmation(data)!;
    expect(c.counter).toBe(1);
    expect(toHex(c.sdUniqueData)).toBe(toHex(SD_UNIQUE));
    expect(toHex(c.receipt)).toBe('93FD1AC894AB5CD48FB34943AEF5EA5C');
    expect(parseConfirmation(fromHex('00'))).toBeUndefined();
  });

  it('parses a 64-byte signature receipt (BER length 40)', () => {
    const sig = new Uint8Array(64).fill(7);
    const c = parseConfirmation(buildConfirmation(sig, buildConfirmationData(5, SD_UNIQUE)))!;
    expect(c.receipt.length).toBe(64);
    expect(c.counter).toBe(5);
  });

  it('refuses truncated, padded and mis-tagged confirmations', () => {
    const good = fromHex('201093FD1AC894AB5CD48FB34943AEF5EA5C0200010B112233445566778899AABB');
    expect(() => parseConfirmation(good.subarray(0, good.length - 1))).toThrow(ConfirmationError);
    expect(() => parseConfirmation(Uint8Array.of(...good, 0))).toThrow(ConfirmationError);
    const bad = Uint8Array.from(good);
    bad[18] = 0x03;
    expect(() => parseConfirmation(bad)).toThrow(ConfirmationError);
  });
});
