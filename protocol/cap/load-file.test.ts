import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { buildLoadFile, loadFileDataBlockHash, CapError } from './index.ts';

const SD = fromHex('A000000151000000');

describe('buildLoadFile (GPCS Table 11-58)', () => {
  it('wraps the LFDB alone in C4 with a BER length when there is no DAP block', () => {
    expect(toHex(buildLoadFile(fromHex('0102030405')))).toBe('C4050102030405');
    const lfdb = new Uint8Array(343).fill(0xab);
    const loadFile = buildLoadFile(lfdb);
    expect(toHex(loadFile.subarray(0, 4))).toBe('C4820157');
    expect(loadFile.length).toBe(4 + 343);
    expect(toHex(buildLoadFile(new Uint8Array(200)).subarray(0, 3))).toBe('C481C8');
  });

  it('puts a P-256 DAP block before the LFDB: E2 4C 4F 08 <SD AID> C3 40 <64-byte r‖s>', () => {
    const signature = new Uint8Array(64).fill(0x5a);
    const loadFile = buildLoadFile(fromHex('CAFE'), [{ sdAid: SD, signature }]);
    expect(toHex(loadFile.subarray(0, 14))).toBe('E24C4F08A000000151000000C340');
    expect(loadFile.length).toBe(2 + 0x4c + 4);
    expect(toHex(loadFile.subarray(14, 78))).toBe('5A'.repeat(64));
    expect(toHex(loadFile.subarray(78))).toBe('C402CAFE');
  });

  it('codes an RSA-1024 DAP block as E2 81 8D … C3 81 80 (144 bytes) and keeps several blocks in order', () => {
    const rsa = buildLoadFile(new Uint8Array(0), [{ sdAid: SD, signature: new Uint8Array(128) }]);
    expect(toHex(rsa.subarray(0, 3))).toBe('E2818D');
    expect(toHex(rsa.subarray(13, 16))).toBe('C38180');
    expect(rsa.length).toBe(144 + 2);
    const two = buildLoadFile(fromHex('00'), [
      { sdAid: SD, signature: fromHex('11'.repeat(16)) },
      { sdAid: fromHex('A000000151000001'), signature: fromHex('22'.repeat(16)) },
    ]);
    expect(toHex(two)).toBe(`E21C4F08A000000151000000C310${'11'.repeat(16)}E21C4F08A000000151000001C310${'22'.repeat(16)}C40100`);
  });

  it('refuses a DAP block with a Security Domain AID outside 5..16 bytes or an empty signature (BAD_ARGUMENT)', () => {
    expect(() => buildLoadFile(new Uint8Array(1), [{ sdAid: fromHex('A0000001'), signature: new Uint8Array(8) }])).toThrow(CapError);
    expect(() => buildLoadFile(new Uint8Array(1), [{ sdAid: SD, signature: new Uint8Array(0) }])).toThrow(/signature is empty/);
  });
});

describe('loadFileDataBlockHash (GPCS C.2)', () => {
  it('hashes the bytes given with SHA-256 by default and SHA-1 on request', () => {
    expect(toHex(loadFileDataBlockHash(new Uint8Array(0)))).toBe('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855');
    expect(toHex(loadFileDataBlockHash(new Uint8Array(0), 'SHA-1'))).toBe('DA39A3EE5E6B4B0D3255BFEF95601890AFD80709');
  });

  it('refuses an unknown algorithm name with BAD_ARGUMENT', () => {
    expect(() => loadFileDataBlockHash(new Uint8Array(0), 'MD5' as 'SHA-1')).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});
