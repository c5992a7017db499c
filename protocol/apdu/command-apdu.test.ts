import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex, toHex } from '../bytes.ts';
import { ApduError } from './apdu-error.ts';
import { apduCase, buildCommandApdu, parseCommandApdu, tryParseCommandApdu, type CommandApduFields } from './command-apdu.ts';

function errorOf(bytes: Uint8Array): ApduError {
  const r = tryParseCommandApdu(bytes);
  if (r.ok) throw new Error(`expected an ApduError for ${toHex(bytes)}`);
  return r.error;
}

describe('parseCommandApdu: the ISO 7816-4 §5.1 cases', () => {
  it('reads a case-1 command (header only)', () => {
    const a = parseCommandApdu(hex`80 F0 80 0F`);
    expect(a).toMatchObject({ cla: 0x80, ins: 0xf0, p1: 0x80, p2: 0x0f, ne: undefined, extended: false });
    expect(a.data.length).toBe(0);
    expect(apduCase(a)).toBe(1);
  });

  it('reads a case-2S command and maps Le 00 to Ne 256', () => {
    expect(parseCommandApdu(hex`80 CA 9F 7F 00`)).toMatchObject({ ne: 256, extended: false });
    expect(parseCommandApdu(hex`80 CA 9F 7F 2D`).ne).toBe(0x2d);
    expect(apduCase(parseCommandApdu(hex`80 CA 9F 7F 00`))).toBe(2);
  });

  it('reads a case-3S command (SET STATUS with an AID)', () => {
    const a = parseCommandApdu(hex`80 F0 40 80 08 D0D1D2D3D4D50101`);
    expect(toHex(a.data)).toBe('D0D1D2D3D4D50101');
    expect(a.ne).toBeUndefined();
    expect(apduCase(a)).toBe(3);
  });

  it('reads a case-4S command (SELECT by AID with Le 00)', () => {
    const a = parseCommandApdu(hex`00 A4 04 00 08 A000000151000000 00`);
    expect(toHex(a.data)).toBe('A000000151000000');
    expect(a).toMatchObject({ ne: 256, extended: false });
    expect(apduCase(a)).toBe(4);
  });

  it('reads a body of 00 xx xx as case 2E, with Le 0000 meaning Ne 65536', () => {
    expect(parseCommandApdu(hex`00 B0 00 00 00 01 00`)).toMatchObject({ ne: 256, extended: true });
    expect(parseCommandApdu(hex`00 B0 00 00 00 00 00`)).toMatchObject({ ne: 65536, extended: true });
    expect(apduCase(parseCommandApdu(hex`00 B0 00 00 00 00 00`))).toBe(2);
  });

  it('reads a case-3E command with 300 data bytes', () => {
    const bytes = new Uint8Array(4 + 3 + 300);
    bytes.set([0x80, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x2c]);
    const a = parseCommandApdu(bytes);
    expect(a).toMatchObject({ ne: undefined, extended: true });
    expect(a.data.length).toBe(300);
  });

  it('reads a case-4E command, Le 0000 meaning Ne 65536', () => {
    const a = parseCommandApdu(hex`00 2A 9E 9A 00 00 03 010203 00 00`);
    expect(toHex(a.data)).toBe('010203');
    expect(a).toMatchObject({ ne: 65536, extended: true });
    expect(apduCase(a)).toBe(4);
  });

  it('returns the data as a view on the input, not a copy', () => {
    const bytes = hex`80 F0 40 80 02 AA BB`;
    const a = parseCommandApdu(bytes);
    expect(a.data.buffer).toBe(bytes.buffer);
  });
});

describe('parseCommandApdu: malformed lengths', () => {
  it('rejects fewer than 4 header bytes (TOO_SHORT)', () => {
    for (const h of ['', '80', '80CA', '80CA9F']) expect(errorOf(fromHex(h)).code).toBe('TOO_SHORT');
  });

  it('rejects a short Lc that promises more data than present (LC_MISMATCH)', () => {
    const e = errorOf(hex`80 F0 40 80 08 D0D1D2`);
    expect(e).toMatchObject({ code: 'LC_MISMATCH', offset: 4 });
  });

  it('rejects bytes after the Le of a short case-4 command (TOO_LONG)', () => {
    expect(errorOf(hex`00 A4 04 00 02 AABB 00 00`)).toMatchObject({ code: 'TOO_LONG', offset: 8 });
  });

  it('rejects 00 xx as an extended length missing its third byte (BAD_LE)', () => {
    expect(errorOf(hex`00 B0 00 00 00 01`).code).toBe('BAD_LE');
  });

  it('rejects the extended Lc 000000 (BAD_LC)', () => {
    expect(errorOf(hex`00 D6 00 00 00 00 00 AA`)).toMatchObject({ code: 'BAD_LC', offset: 4 });
  });

  it('rejects an extended Lc that promises more data than present (LC_MISMATCH)', () => {
    expect(errorOf(hex`00 D6 00 00 00 01 00 AABB`).code).toBe('LC_MISMATCH');
  });

  it('rejects a one-byte Le after an extended Lc (BAD_LE)', () => {
    expect(errorOf(hex`00 D6 00 00 00 00 02 AABB 00`)).toMatchObject({ code: 'BAD_LE', offset: 9 });
  });

  it('rejects bytes after the Le of an extended case-4 command (TOO_LONG)', () => {
    expect(errorOf(hex`00 D6 00 00 00 00 02 AABB 0000 FF`)).toMatchObject({ code: 'TOO_LONG', offset: 11 });
  });

  it('throws the ApduError itself from parseCommandApdu', () => {
    expect(() => parseCommandApdu(hex`80`)).toThrow(ApduError);
  });
});

describe('buildCommandApdu', () => {
  it('builds the short forms of every case', () => {
    expect(toHex(buildCommandApdu({ cla: 0x80, ins: 0xf0, p1: 0x80, p2: 0x0f }))).toBe('80F0800F');
    expect(toHex(buildCommandApdu({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, ne: 256 }))).toBe('80CA9F7F00');
    expect(toHex(buildCommandApdu({ cla: 0x80, ins: 0xf0, p1: 0x40, p2: 0x80, data: hex`AABB` }))).toBe('80F0408002AABB');
    expect(toHex(buildCommandApdu({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data: hex`A000000151000000`, ne: 256 }))).toBe(
      '00A4040008A00000015100000000',
    );
  });

  it('switches to the extended form when data exceeds 255 bytes or Ne exceeds 256', () => {
    expect(toHex(buildCommandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 65536 }))).toBe('00B00000000000');
    expect(toHex(buildCommandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 257 }))).toBe('00B00000000101');
    const big = buildCommandApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(256), ne: 2 });
    expect(toHex(big.subarray(0, 7))).toBe('00D60000000100');
    expect(toHex(big.subarray(-2))).toBe('0002');
  });

  it('uses the extended form on request even when the short form fits', () => {
    expect(toHex(buildCommandApdu({ cla: 0, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: hex`01`, ne: 256, extended: true }))).toBe('002A9E9A000001010100');
  });

  it('refuses data over 65535 bytes (BAD_LC) and Ne outside 1..65536 (BAD_LE)', () => {
    const base = { cla: 0, ins: 0xd6, p1: 0, p2: 0 };
    expect(() => buildCommandApdu({ ...base, data: new Uint8Array(65536) })).toThrow(expect.objectContaining({ code: 'BAD_LC' }));
    expect(() => buildCommandApdu({ ...base, ne: 65537 })).toThrow(expect.objectContaining({ code: 'BAD_LE' }));
    expect(() => buildCommandApdu({ ...base, ne: 0 })).toThrow(expect.objectContaining({ code: 'BAD_LE' }));
  });

  it('refuses a header value that is not a byte (BAD_HEADER)', () => {
    expect(() => buildCommandApdu({ cla: 0x100, ins: 0, p1: 0, p2: 0 })).toThrow(expect.objectContaining({ code: 'BAD_HEADER' }));
  });
});

const byte = fc.integer({ min: 0, max: 255 });
const validFields: fc.Arbitrary<CommandApduFields & { data: Uint8Array; extended: boolean }> = fc
  .record({
    cla: byte,
    ins: byte,
    p1: byte,
    p2: byte,
    data: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 65530, maxLength: 65535 })),
    ne: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
    extended: fc.boolean(),
  })
  // A case-1 APDU has no length field that could say "extended".
  .map((f) => ({ ...f, extended: (f.extended || f.data.length > 255 || (f.ne ?? 0) > 256) && (f.data.length > 0 || f.ne !== undefined) }));

describe('command APDU properties', () => {
  it('parse(build(x)) gives back x for every valid command', () => {
    fc.assert(
      fc.property(validFields, (f) => {
        const a = parseCommandApdu(buildCommandApdu(f));
        expect({ ...a, data: toHex(a.data) }).toEqual({ ...f, data: toHex(f.data) });
      }),
      { numRuns: 200 },
    );
  });

  it('tryParseCommandApdu never throws on arbitrary bytes, and build(parse(b)) reproduces the accepted ones', () => {
    const lengthy = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.constantFrom(0, 1, 2), fc.uint8Array({ maxLength: 300 }));
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), lengthy.map(([h, k, rest]) => Uint8Array.of(...h, ...(k === 0 ? [0] : []), ...rest)));
    fc.assert(
      fc.property(bytes, (b) => {
        const r = tryParseCommandApdu(b);
        if (r.ok) expect(toHex(buildCommandApdu(r.apdu))).toBe(toHex(b));
        else expect(r.error).toBeInstanceOf(ApduError);
      }),
      { numRuns: 2000 },
    );
  });
});
