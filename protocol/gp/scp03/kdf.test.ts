import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../bytes.ts';
import { aesCmac } from '../../crypto/aes-cmac.ts';
import { DERIVATION, scp03Kdf } from './kdf.ts';
import { cardCryptogram, deriveSessionKeys, hostCryptogram, pseudoRandomCardChallenge } from './session-keys.ts';

const K_ENC = fromHex('F995D0A069335C7DF42E590317FFEA6D');
const K_MAC = fromHex('58563362EC5A4541ABCD32B34B1EAE7D');
const K1_HOST = fromHex('B2BDE1A2DC66BD56');
const K1_CARD = fromHex('C40932A6FEFEAEB2');
const K5_KEY = fromHex('DE2A3629CBC24E8D8869E82C8B4C0D874D88166B6F8A1C12');

describe('scp03Kdf (AMD-D 4.1.5)', () => {
  it('puts the counter between L and the context: K1 S-ENC input 00×11 04 00 0080 01 | challenges', () => {
    const input = fromHex('00000000000000000000000400008001B2BDE1A2DC66BD56C40932A6FEFEAEB2');
    expect(toHex(aesCmac(K_ENC, input))).toBe('9B841BB63D1087484FF7F16802017243');
    expect(toHex(scp03Kdf(K_ENC, DERIVATION.S_ENC, 128, concat(K1_HOST, K1_CARD)))).toBe('9B841BB63D1087484FF7F16802017243');
  });

  it('runs two PRF blocks (i = 01, 02) for a 192-bit key and keeps the first 24 bytes (K5 S-ENC)', () => {
    const context = fromHex('4157115CAD7D2FE7726B1E22EED4F4BB');
    const block1 = aesCmac(K5_KEY, concat(fromHex('0000000000000000000000040000C001'), context));
    const block2 = aesCmac(K5_KEY, concat(fromHex('0000000000000000000000040000C002'), context));
    const expected = '0625452BB6780ACEEAA5D9B55442CC639794555124E4E8D0';
    expect(toHex(concat(block1, block2)).slice(0, 48)).toBe(expected);
    expect(toHex(scp03Kdf(K5_KEY, DERIVATION.S_ENC, 192, context))).toBe(expected);
  });

  it('derives 256-bit output from two full blocks', () => {
    expect(scp03Kdf(new Uint8Array(32), DERIVATION.S_MAC, 256, new Uint8Array(16)).length).toBe(32);
  });
});

describe('session keys, cryptograms and card challenge (AMD-D 6.2.1, 6.2.2)', () => {
  it('derives the K1 session keys asserted by the kaoh test', () => {
    const keys = deriveSessionKeys({ enc: K_ENC, mac: K_MAC, dek: new Uint8Array(16) }, K1_HOST, K1_CARD);
    expect(toHex(keys.sEnc)).toBe('9B841BB63D1087484FF7F16802017243');
    expect(toHex(keys.sMac)).toBe('8117FE5ADED74AC0DAABE9FB81DBDB67');
    expect(toHex(keys.sRmac)).toBe('4521D75E4D6F60DBFB8AB4EE254EF6F1');
  });

  it('computes the K1 card cryptogram E127185170F45FCA and host cryptogram 59D54D932423D29F', () => {
    const sMac = fromHex('8117FE5ADED74AC0DAABE9FB81DBDB67');
    expect(toHex(cardCryptogram(sMac, K1_HOST, K1_CARD))).toBe('E127185170F45FCA');
    expect(toHex(hostCryptogram(sMac, K1_HOST, K1_CARD))).toBe('59D54D932423D29F');
  });

  it('computes the K6 card cryptogram for the recorded challenge A5874C57119B976B', () => {
    const key = fromHex('404142434445464748494A4B4C4D4E4F');
    const host = fromHex('2C8130E574247B1B');
    const card = fromHex('A5874C57119B976B');
    const { sMac } = deriveSessionKeys({ enc: key, mac: key, dek: key }, host, card);
    expect(toHex(cardCryptogram(sMac, host, card))).toBe('F94879E36F29E039');
    expect(toHex(hostCryptogram(sMac, host, card))).toBe('A75F1CD48F3B93DF');
  });

  it('derives the pseudo-random card challenge from the incremented counter and the SD AID', () => {
    expect(toHex(pseudoRandomCardChallenge(K_ENC, fromHex('000015'), fromHex('A000000151000000')))).toBe('C40932A6FEFEAEB2');
    const pysimEnc = fromHex('000102030405060708090A0B0C0D0E0F');
    expect(toHex(pseudoRandomCardChallenge(pysimEnc, fromHex('000002'), fromHex('A0000005591010FFFFFFFF8900000100')))).toBe('3EB51047495B249F');
  });
});
