import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../protocol/bytes.ts';
import { parseAnnotatedText } from './annotated-text.ts';
import { gsmtapExchanges, internetChecksum, toGsmtapPcap } from './pcap.ts';
import type { TraceEntry } from './trace-entry.ts';

const TRACE: TraceEntry[] = [
  { t: 0.5, dir: 'ATR', hex: '3B8C8001636172646C6162204750323340', note: ['power-on'] },
  { t: 1.25, dir: 'C', hex: '00A4040007F0434152444C0100' },
  { t: 1.5, dir: 'R', hex: '9000' },
  { t: 2000.000_4, dir: 'C', hex: '80520000040000006406' },
  { t: 2000.1, dir: 'R', hex: '0000006400019000', note: ['CREDIT amount 100'] },
  { t: 2001, dir: 'C', hex: '8050000008112233445566778800' },
  { t: 2002, dir: 'EVENT', hex: '', note: ['error', 'POWER_LOSS', 'the card lost power'] },
  { t: 2003, dir: 'EVENT', hex: '', note: ['power-off'] },
];

/** The records of a pcap file: time in µs, and the frame. */
function records(file: Uint8Array): { us: number; frame: Uint8Array }[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { us: number; frame: Uint8Array }[] = [];
  for (let o = 24; o < file.length; ) {
    const len = v.getUint32(o + 8, true);
    expect(v.getUint32(o + 12, true)).toBe(len);
    out.push({ us: v.getUint32(o, true) * 1_000_000 + v.getUint32(o + 4, true), frame: file.subarray(o + 16, o + 16 + len) });
    o += 16 + len;
  }
  return out;
}

describe('trace → pcap (GSMTAP SIM over UDP)', () => {
  it('writes the classic pcap header: magic A1B2C3D4, version 2.4, link type 1 (Ethernet)', () => {
    const file = toGsmtapPcap(TRACE);
    expect(toHex(file.subarray(0, 24))).toBe('D4C3B2A1' + '02000400' + '00000000' + '00000000' + '00000400' + '01000000');
  });

  it('puts each answered exchange in one packet, command then response; ATRs, events and unanswered commands stay out', () => {
    const recs = records(toGsmtapPcap(TRACE));
    expect(recs).toHaveLength(2);
    const payload = (f: Uint8Array) => toHex(f.subarray(14 + 20 + 8 + 16));
    expect(payload(recs[0]!.frame)).toBe('00A4040007F0434152444C0100' + '9000');
    expect(payload(recs[1]!.frame)).toBe('80520000040000006406' + '0000006400019000');
  });

  it('frames it as Ethernet/IPv4/UDP to port 4729 with a GSMTAP v2 header of 4 words, type SIM, sub-type APDU', () => {
    const { frame } = records(toGsmtapPcap(TRACE))[0]!;
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    expect(v.getUint16(12)).toBe(0x0800);
    expect(frame[14]).toBe(0x45);
    expect(v.getUint16(14 + 2)).toBe(frame.length - 14); // IPv4 total length
    expect(frame[14 + 9]).toBe(17);
    expect(internetChecksum(frame.subarray(14, 34))).toBe(0); // a correct header sums to 0
    expect(v.getUint16(34 + 2)).toBe(4729);
    expect(v.getUint16(34 + 4)).toBe(frame.length - 34); // UDP length
    const pseudo = new Uint8Array([...frame.subarray(26, 34), 0, 17, (frame.length - 34) >> 8, (frame.length - 34) & 0xff, ...frame.subarray(34)]);
    expect(internetChecksum(pseudo)).toBe(0);
    expect(toHex(frame.subarray(42, 58))).toBe('02040400' + '0000' + '0000' + '00000000' + '00000000');
  });

  it('stamps each packet with its command time (µs), from the start given', () => {
    expect(records(toGsmtapPcap(TRACE)).map((r) => r.us)).toEqual([1250, 2_000_000]);
    expect(records(toGsmtapPcap(TRACE, { startMs: 1_700_000_000_000 })).map((r) => r.us)).toEqual([1_700_000_000_001_250, 1_700_000_002_000_000]);
  });

  it('stamps a trace without timing (a golden transcript) 1 ms apart from 0', () => {
    const entries = parseAnnotatedText('@atr 3B 00\n>> 00 A4 04 00 00\n<< 90 00\n>> 80 CA 9F 7F 00\n<< 6A 88\n');
    expect(gsmtapExchanges(entries).map((x) => x.t)).toEqual([0, 1]);
    expect(records(toGsmtapPcap(entries)).map((r) => r.us)).toEqual([0, 1000]);
  });

  it('refuses an exchange too long for one IPv4 datagram', () => {
    const big = 'AB'.repeat(65_000);
    expect(() => toGsmtapPcap([{ t: 0, dir: 'C', hex: `80E80000${'00FDE8'}${big.slice(0, 2000)}` }, { t: 0, dir: 'R', hex: `${big}9000` }])).toThrow(/exchange 1 is 66009 bytes; one GSMTAP packet over IPv4 holds at most 65491/);
  });

  it('keeps every frame consistent for any exchanges (property): lengths add up, checksums verify', () => {
    const hexBytes = (min: number) => fc.uint8Array({ minLength: min, maxLength: 300 }).map((b) => toHex(b));
    fc.assert(
      fc.property(fc.array(fc.tuple(hexBytes(4), hexBytes(2)), { maxLength: 6 }), (pairs) => {
        const entries = pairs.flatMap(([c, r], i): TraceEntry[] => [{ t: i, dir: 'C', hex: c }, { t: i + 0.5, dir: 'R', hex: r }]);
        const recs = records(toGsmtapPcap(entries));
        expect(recs).toHaveLength(pairs.length);
        recs.forEach(({ frame }, i) => {
          expect(frame.length).toBe(58 + (pairs[i]![0].length + pairs[i]![1].length) / 2);
          expect(internetChecksum(frame.subarray(14, 34))).toBe(0);
        });
      }),
    );
  });
});
