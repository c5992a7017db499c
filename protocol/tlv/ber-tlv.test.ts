import { describe, expect, it } from 'vitest';
import { fromHex, hex, toHex } from '../bytes.ts';
import { buildTlv, encodeTlv, findAll, findTlv, parseOneTlv, parseSingleTlv, parseTlv, type Tlv } from './ber-tlv.ts';
import { TlvError } from './tlv-error.ts';

function errorOf(bytes: Uint8Array, recursive = false): TlvError {
  try {
    parseTlv(bytes, { recursive });
  } catch (e) {
    if (e instanceof TlvError) return e;
    throw e;
  }
  throw new Error(`expected a TlvError for ${toHex(bytes)}`);
}

const CPLC = '9F7F2A4790D6004700000000003244342952208448000000000000000015278234323935320000000000000000';
const CARD_DATA =
  '664D734B06072A864886FC6B01600B06092A864886FC6B020203630906072A864886FC6B03640B06092A864886FC6B040370650D060B2A864886FC6B0507020000660C060A2B060104012A026E0103';
const FF21 = 'FF211081020002820400016DB483040000086A';

describe('parseTlv on reference vectors', () => {
  it('reads the CPLC response as one primitive 2-byte tag of 42 bytes (§3.3)', () => {
    const [cplc] = parseTlv(fromHex(CPLC));
    expect(cplc).toMatchObject({ tag: 0x9f7f, constructed: false });
    expect(cplc!.value.length).toBe(42);
    expect(toHex(cplc!.value.subarray(0, 4))).toBe('4790D600');
  });

  it('reads Card Recognition Data as a tree of OIDs (§3.4)', () => {
    const list = parseTlv(fromHex(CARD_DATA), { recursive: true });
    const crd = findTlv(list, 0x66, 0x73)!;
    expect(crd.children!.map((t) => t.tag)).toEqual([0x06, 0x60, 0x63, 0x64, 0x65, 0x66]);
    expect(toHex(findTlv(list, 0x66, 0x73, 0x64, 0x06)!.value)).toBe('2A864886FC6B040370');
  });

  it('reads FF21 as a constructed 2-byte tag with 81/82/83 inside (§3.7)', () => {
    const [ff21] = parseTlv(fromHex(FF21), { recursive: true });
    expect(ff21).toMatchObject({ tag: 0xff21, constructed: true });
    expect(ff21!.children!.map((t) => [t.tag, toHex(t.value)])).toEqual([
      [0x81, '0002'],
      [0x82, '00016DB4'],
      [0x83, '0000086A'],
    ]);
  });

  it('reads concatenated GET STATUS E3 entries, tolerating a 2-byte 9F70 and an EA template (§5.5)', () => {
    const data = fromHex(
      'E3324F08A0000001510000009F70020F00C50382FC80C407A0000001515350CE020100CC08A000000151000000EA058003008000' +
        'E3144F07A00000015100009F700107C50180EA028000',
    );
    const entries = findAll(parseTlv(data, { recursive: true }), 0xe3);
    expect(entries.length).toBe(2);
    expect(toHex(findTlv(entries[0]!.children!, 0x9f70)!.value)).toBe('0F00');
    expect(toHex(findTlv(entries[0]!.children!, 0xea, 0x80)!.value)).toBe('008000');
    expect(toHex(findTlv(entries[1]!.children!, 0xc5)!.value)).toBe('80');
  });

  it('reads the Key Information Template vectors (§3.5)', () => {
    const vectors: Array<[string, number]> = [
      ['E020C00401018820C00402018820C00403018820C0060170A180A003C00401718010', 5],
      ['E021C00401018010C00402018010C00403018010C00D0173FFA10080A0000301840100', 4],
      ['E012C00401308810C00402308810C00403308810', 3],
    ];
    for (const [v, keys] of vectors) {
      const [e0] = parseTlv(fromHex(v), { recursive: true });
      expect(e0!.tag).toBe(0xe0);
      expect(findAll(e0!.children!, 0xc0).length).toBe(keys);
    }
    const [ext] = parseTlv(fromHex('E021C00401018010C00402018010C00403018010C00D0173FFA10080A0000301840100'), { recursive: true });
    expect(toHex(ext!.children![3]!.value)).toBe('0173FFA10080A0000301840100');
  });

  it('reads long-form lengths 81 and 82', () => {
    const v81 = parseSingleTlv(concatLen(hex`C4 81 80`, 128));
    expect(v81.value.length).toBe(128);
    const v82 = parseSingleTlv(concatLen(hex`C4 82 0157`, 0x157));
    expect(v82.value.length).toBe(0x157);
  });

  it('takes the constructed flag from b6 of the first tag byte', () => {
    const kinds = parseTlv(hex`E3 00 9F70 00 BF3E 00 7F21 00 4F 00 5F20 00`).map((t) => [t.tag, t.constructed]);
    expect(kinds).toEqual([
      [0xe3, true],
      [0x9f70, false],
      [0xbf3e, true],
      [0x7f21, true],
      [0x4f, false],
      [0x5f20, false],
    ]);
  });

  it('reads 3-byte tags', () => {
    expect(parseTlv(hex`9F8101 01 AA`)[0]!.tag).toBe(0x9f8101);
  });
});

function concatLen(head: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(head.length + n);
  out.set(head);
  return out;
}

describe('parseTlv on malformed input', () => {
  it('rejects input ending inside a multi-byte tag (TRUNCATED_TAG)', () => {
    expect(errorOf(hex`9F`)).toMatchObject({ code: 'TRUNCATED_TAG', offset: 0 });
    expect(errorOf(hex`4F 00 9F 81`)).toMatchObject({ code: 'TRUNCATED_TAG', offset: 2 });
  });

  it('rejects a tag longer than 3 bytes (BAD_TAG)', () => {
    expect(errorOf(hex`9F 81 81 01 00`).code).toBe('BAD_TAG');
  });

  it('rejects a missing or truncated length (TRUNCATED_LENGTH)', () => {
    expect(errorOf(hex`4F`)).toMatchObject({ code: 'TRUNCATED_LENGTH', offset: 1 });
    expect(errorOf(hex`C4 82 01`)).toMatchObject({ code: 'TRUNCATED_LENGTH', offset: 1 });
  });

  it('rejects a length field of more than 3 bytes (BAD_LENGTH)', () => {
    expect(errorOf(hex`C4 84 00 00 00 01 AA`)).toMatchObject({ code: 'BAD_LENGTH', offset: 1 });
  });

  it('rejects the indefinite length 80 (INDEFINITE_LENGTH)', () => {
    expect(errorOf(hex`E3 80 4F 00 00 00`).code).toBe('INDEFINITE_LENGTH');
  });

  it('rejects a value running past the end (VALUE_OVERRUN)', () => {
    expect(errorOf(hex`9F7F 2A 4790`)).toMatchObject({ code: 'VALUE_OVERRUN', offset: 2 });
  });

  it('rejects a constructed object whose content is not BER-TLV, at the absolute offset', () => {
    expect(errorOf(hex`4F 00 E3 03 4F 05 AA`, true)).toMatchObject({ code: 'VALUE_OVERRUN', offset: 5 });
    expect(() => parseTlv(hex`4F 00 E3 03 4F 05 AA`)).not.toThrow();
  });

  it('rejects bytes after the one expected TLV (TRAILING_DATA)', () => {
    expect(() => parseSingleTlv(hex`42 01 AA 00`)).toThrow(expect.objectContaining({ code: 'TRAILING_DATA', offset: 3 }));
  });

  it('refuses nesting deeper than MAX_TLV_DEPTH (TOO_DEEP) instead of exhausting the stack', () => {
    let bytes: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 40; i++) bytes = buildTlv(0xe3, bytes);
    expect(errorOf(bytes, true).code).toBe('TOO_DEEP');
  });
});

describe('building TLVs', () => {
  it('builds from raw bytes, encoded children or Tlv objects', () => {
    expect(toHex(buildTlv(0x42, hex`112233`))).toBe('4203112233');
    const ff21 = buildTlv(0xff21, [buildTlv(0x81, hex`0002`), buildTlv(0x82, hex`00016DB4`), buildTlv(0x83, hex`0000086A`)]);
    expect(toHex(ff21)).toBe(FF21);
    const child: Tlv = { tag: 0x9f65, constructed: false, value: hex`FF` };
    expect(toHex(buildTlv(0xa5, [child]))).toBe('A5049F6501FF');
  });

  it('encodes a parsed tree back to the same bytes, using children when present', () => {
    for (const v of [CPLC, CARD_DATA, FF21]) expect(toHex(encodeTlv(parseSingleTlv(fromHex(v), { recursive: true })))).toBe(v);
    const tree = parseSingleTlv(fromHex(FF21), { recursive: true });
    tree.children = tree.children!.slice(0, 1);
    expect(toHex(encodeTlv(tree))).toBe('FF2104810200' + '02');
  });

  it('parseOneTlv reports where the next object starts', () => {
    const { tlv, next } = parseOneTlv(hex`4F 01 AA 42 00`, 0);
    expect([tlv.tag, next]).toEqual([0x4f, 3]);
    expect(parseOneTlv(hex`4F 01 AA 42 00`, next).tlv.tag).toBe(0x42);
  });

  it('findTlv follows a path only through constructed objects', () => {
    const fci = parseTlv(fromHex('6F108408A000000151000000A5049F6501FF'));
    expect(toHex(findTlv(fci, 0x6f, 0xa5, 0x9f65)!.value)).toBe('FF');
    expect(findTlv(fci, 0x6f, 0x84, 0x00)).toBeUndefined();
    expect(findTlv(fci, 0x99)).toBeUndefined();
  });
});
