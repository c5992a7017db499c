import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../bytes.ts';
import { parseCommandApdu } from '../../apdu/index.ts';
import { buildLoadCommands, LoadFileError, parseLoadFile, splitLoadFile } from './load.ts';
import { buildLoadFile } from '../../cap/index.ts';

describe('LOAD (GPCS 11.6, reference §7.1)', () => {
  it('cuts a 347-byte Load File into 239 + 108 like the KAOH trace: P1 00/80, P2 00/01', () => {
    const loadFile = buildLoadFile(new Uint8Array(343).fill(0x5a));
    expect(loadFile.length).toBe(347);
    const [first, last, ...rest] = buildLoadCommands(loadFile).map(parseCommandApdu);
    expect(rest).toEqual([]);
    expect([first!.cla, first!.ins, first!.p1, first!.p2, first!.data.length, first!.ne]).toEqual([0x80, 0xe8, 0x00, 0x00, 239, 256]);
    expect([last!.p1, last!.p2, last!.data.length]).toEqual([0x80, 0x01, 108]);
    expect(toHex(first!.data.subarray(0, 4))).toBe('C4820157');
  });

  it('sends a short Load File in one block marked last', () => {
    expect(toHex(buildLoadCommands(fromHex('C403010203'))[0]!)).toBe('80E8800005C40301020300');
  });

  it('numbers 256 blocks 00..FF and refuses a 257th', () => {
    const commands = buildLoadCommands(new Uint8Array(256 * 10), 10);
    expect(commands.length).toBe(256);
    expect(commands[255]![2]).toBe(0x80);
    expect(commands[255]![3]).toBe(0xff);
    expect(() => buildLoadCommands(new Uint8Array(256 * 10 + 1), 10)).toThrow(RangeError);
    expect(() => splitLoadFile(new Uint8Array(0))).toThrow(RangeError);
    expect(() => splitLoadFile(new Uint8Array(10), 256)).toThrow(RangeError);
  });

  it('reassembles to the Load File for every size and block size (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.integer({ min: 8, max: 255 }), (file, size) => {
        const blocks = splitLoadFile(file, size);
        expect(toHex(concat(...blocks))).toBe(toHex(file));
        expect(blocks.slice(0, -1).every((b) => b.length === size)).toBe(true);
      }),
    );
  });

  it('parses the DAP blocks and Load File Data Block of a Load File it builds', () => {
    const file = buildLoadFile(fromHex('DECAFFED'), [{ sdAid: fromHex('A000000151000000'), signature: new Uint8Array(64).fill(1) }]);
    expect(toHex(file.subarray(0, 2))).toBe('E24C');
    const parsed = parseLoadFile(file);
    expect(toHex(parsed.loadFileDataBlock)).toBe('DECAFFED');
    expect(toHex(parsed.dapBlocks[0]!.sdAid)).toBe('A000000151000000');
  });

  it.each([
    ['no C4', 'E2054F03A00000'],
    ['a tag after C4', 'C401009000'],
    ['a DAP block without C3', 'E2074F05A000000151C400'],
    ['bytes that are not BER-TLV', 'C405AA'],
  ])('refuses a Load File with %s', (_name, text) => {
    expect(() => parseLoadFile(fromHex(text))).toThrow(LoadFileError);
  });
});
