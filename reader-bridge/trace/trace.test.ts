import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { generateEcKeyPair, seededRandom } from '../../protocol/crypto/index.ts';
import { buildCap, buildLoadFile, loadFileDataBlock, loadFileDataBlockHash, readCap } from '../../protocol/cap/index.ts';
import { signDap } from '../../protocol/gp/dap.ts';
import { buildInstallForInstall, buildInstallForLoad, buildLoadCommands, buildSelect } from '../../protocol/gp/commands/index.ts';
import { buildCredit, buildGetBalance } from '../../protocol/loyalty/index.ts';
import { createCard, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID } from '../../simulator/index.ts';
import { authenticate } from '../../test/support/card-host.ts';
import { createSimReader } from '../sim-reader.ts';
import { toAnnotatedText, parseAnnotatedText } from './annotated-text.ts';
import { toJsonLines, parseJsonLines } from './json-lines.ts';
import { parseTrace } from './parse-trace.ts';
import { diffTraces } from './trace-diff.ts';
import { TraceParseError, type TraceEntry } from './trace-entry.ts';
import { withTrace } from './with-trace.ts';

async function recordSession(seed = 0): Promise<TraceEntry[]> {
  const trace: TraceEntry[] = [];
  const card = createCard({ seed });
  const reader = withTrace(createSimReader(card), trace);
  await reader.powerOn();
  await reader.transmit(fromHex('00A4040000'));
  await reader.transmit(fromHex('80CA9F7F00'));
  await reader.reset();
  card.onPersistentWrite(() => 'tear');
  await reader.transmit(fromHex('8050000008112233445566778800')).catch(() => undefined);
  await reader.powerOff();
  return trace;
}

const ms = fc.nat({ max: 10_000_000 }).map((n) => n / 1000);
const hexBytes = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b).toString('hex').toUpperCase());
// Text lines lose trailing blanks; annotations never end in one.
const line = (min: number) => fc.stringMatching(new RegExp(`^[ -~]{${min},30}$`)).filter((l) => l === l.trimEnd() && !l.startsWith('@'));
const note = fc.array(line(0), { minLength: 1, maxLength: 3 });
/** A well-formed trace, step by step: exchanges (answered, or failed with an error), ATRs and events. */
const trace: fc.Arbitrary<TraceEntry[]> = fc
  .array(
    fc.oneof(
      fc.tuple(ms, ms, hexBytes, hexBytes, note).map(([t1, t2, c, r, n]): TraceEntry[] => [{ t: t1, dir: 'C', hex: c }, { t: t2, dir: 'R', hex: r, note: n }]),
      fc.tuple(ms, ms, hexBytes, fc.constantFrom('POWER_LOSS', 'CARD_REMOVED', 'TIMEOUT'), line(1)).map(([t1, t2, c, code, m]): TraceEntry[] => [{ t: t1, dir: 'C', hex: c }, { t: t2, dir: 'EVENT', hex: '', note: ['error', code, m] }]),
      fc.tuple(ms, hexBytes, fc.constantFrom('power-on', 'reset')).map(([t, h, k]): TraceEntry[] => [{ t, dir: 'ATR', hex: h, note: [k] }]),
      fc.tuple(ms, fc.constantFrom('power-off', 'card-removed', 'card-inserted')).map(([t, k]): TraceEntry[] => [{ t, dir: 'EVENT', hex: '', note: [k] }]),
      // A command without an answer: the card went away first, the error (if any) comes as an event of its own.
      fc.tuple(ms, ms, hexBytes, fc.constantFrom('power-off', 'card-removed')).map(([t1, t2, c, k]): TraceEntry[] => [{ t: t1, dir: 'C', hex: c }, { t: t2, dir: 'EVENT', hex: '', note: [k] }]),
    ),
    { maxLength: 12 },
  )
  .map((steps) => steps.flat());

describe('APDU trace', () => {
  it('records ATR, each exchange with its annotation, errors and power-off, with rising timestamps', async () => {
    const trace = await recordSession();
    expect(trace.map((e) => e.dir)).toEqual(['ATR', 'C', 'R', 'C', 'R', 'ATR', 'C', 'EVENT', 'EVENT']);
    expect(trace[0]!.note).toEqual(['power-on']);
    expect(trace[2]!.hex).toMatch(/^6F41.*9000$/);
    expect(trace[2]!.note![0]).toMatch(/^SELECT/);
    expect(trace[2]!.note!.join('\n')).toMatch(/9000 success/);
    expect(trace[5]!.note).toEqual(['reset']);
    expect(trace[7]!.note!.slice(0, 2)).toEqual(['error', 'POWER_LOSS']);
    expect(trace[8]!.note).toEqual(['power-off']);
    for (let i = 1; i < trace.length; i++) expect(trace[i]!.t).toBeGreaterThanOrEqual(trace[i - 1]!.t);
  });

  it('writes the annotated text in the golden-transcript format (>>, #, <<, @atr, @reset)', async () => {
    const text = toAnnotatedText(await recordSession(), { timestamps: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('@atr 3B 8C 80 01 63 61 72 64 6C 61 62 20 47 50 32 33 40');
    expect(lines[1]).toBe('>> 00 A4 04 00 00');
    expect(lines[2]).toMatch(/^# SELECT/);
    expect(lines.find((l) => l.startsWith('<< 6F 41'))).toMatch(/90 00$/);
    expect(text).toMatch(/\n@reset\n@atr 3B/);
    expect(text).toMatch(/>> 80 50 00 00 08 11 22 33 44 55 66 77 88 00\n# .*lost power.*\n<< POWER_LOSS\n# @event power-off\n$/);
  });

  it('reads back what it wrote, in both formats, timestamps included', async () => {
    const trace = await recordSession();
    expect(parseAnnotatedText(toAnnotatedText(trace))).toEqual(trace);
    expect(parseJsonLines(toJsonLines(trace))).toEqual(trace);
    expect(parseTrace(toJsonLines(trace))).toEqual(trace);
    expect(parseTrace(toAnnotatedText(trace))).toEqual(trace);
  });

  it('round-trips any trace through JSON lines and through text (property)', () => {
    fc.assert(
      fc.property(trace, (entries) => {
        expect(parseJsonLines(toJsonLines(entries))).toEqual(entries);
        expect(parseAnnotatedText(toAnnotatedText(entries))).toEqual(entries);
      }),
    );
  });

  it('reads every golden transcript of the project as a trace', () => {
    const dir = join(import.meta.dirname, '../../test/fixtures/transcripts');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.apdu'))) {
      const entries = parseAnnotatedText(readFileSync(join(dir, f), 'utf8'));
      expect(entries.filter((e) => e.dir === 'C').length, f).toBeGreaterThan(0);
    }
  });

  it('reads back a command the card never answered: pulled out, then the error', () => {
    const entries: TraceEntry[] = [
      { t: 1, dir: 'C', hex: '84E80005F8' },
      { t: 2, dir: 'EVENT', hex: '', note: ['card-removed'] },
      { t: 3, dir: 'EVENT', hex: '', note: ['error', 'CARD_REMOVED', 'the card was pulled out of the reader'] },
      { t: 4, dir: 'EVENT', hex: '', note: ['card-inserted'] },
    ];
    const text = toAnnotatedText(entries);
    expect(text).toBe('# @t 1.000\n>> 84 E8 00 05 F8\n# @t 2.000\n# @event card-removed\n# @t 3.000\n# @event error CARD_REMOVED: the card was pulled out of the reader\n# @t 4.000\n# @event card-inserted\n');
    expect(parseAnnotatedText(text)).toEqual(entries);
  });

  it('names the line of a malformed trace', () => {
    expect(() => parseJsonLines('{"t":0,"dir":"C","hex":"00A4"}\n{"t":0,"dir":"X","hex":""}\n')).toThrow(/line 2: "dir"/);
    expect(() => parseAnnotatedText('>> 00 A4\n>> 00 A4\n')).toThrow(TraceParseError);
    expect(() => parseAnnotatedText('<< 90 00\n')).toThrow(/line 1: a response without a command/);
  });

  it('finds the first differing APDU and shows both exchanges annotated, ignoring timestamps', async () => {
    const a = await recordSession(0);
    const b = await recordSession(0);
    expect(diffTraces(a, b, { ignoreTimestamps: true })).toBeUndefined();
    const c = await recordSession(1); // another seed: another CPLC serial number
    const d = diffTraces(a, c, { ignoreTimestamps: true })!;
    expect(d.apdu).toBe(1);
    expect(d.message).toMatch(/^traces part at APDU #2 \(entry 5, the response\)/);
    expect(d.message).toMatch(/expected:\n {2}>> 80 CA 9F 7F 00\n {2}# GET DATA/);
    expect(d.message).toMatch(/got:\n {2}>> 80 CA 9F 7F 00\n/);
    expect(d.expected.map((e) => e.dir)).toEqual(['C', 'R']);
    expect(diffTraces(a, a.slice(0, 3))!.message).toMatch(/the second trace ends/);
  });
});

describe('APDU trace: names from the applet models', () => {
  /** A card with the loyalty applet loaded and installed as `instance` (the host talks to the card directly). */
  function cardWithLoyalty(instance: Uint8Array) {
    const dap = generateEcKeyPair('P-256', seededRandom('trace-dap'));
    const card = createCard({ profile: { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: toHex(dap.publicKey) } } }, seed: 3 });
    card.powerOn();
    const { send } = authenticate(card, 0x03);
    const lfdb = loadFileDataBlock(readCap(buildCap({ packageAid: LOYALTY_PACKAGE_AID, appletAids: [LOYALTY_APPLET_AID], codeSize: 200 })));
    const hash = loadFileDataBlockHash(lfdb);
    send(buildInstallForLoad({ loadFileAid: LOYALTY_PACKAGE_AID, lfdbHash: hash }));
    const signature = signDap({ type: 'ecdsa', curve: 'P-256', privateKey: dap.privateKey }, hash);
    for (const c of buildLoadCommands(buildLoadFile(lfdb, [{ sdAid: fromHex('A000000151000000'), signature }]), 239)) send(c);
    send(buildInstallForInstall({ loadFileAid: LOYALTY_PACKAGE_AID, moduleAid: LOYALTY_APPLET_AID, instanceAid: instance }));
    return card;
  }

  it('writes a loyalty CREDIT as CREDIT amount 100 and its answer as balance and counter; the ISD keeps INS 52', async () => {
    const trace: TraceEntry[] = [];
    const reader = withTrace(createSimReader(cardWithLoyalty(LOYALTY_APPLET_AID)), trace);
    await reader.powerOn();
    await reader.transmit(buildCredit(100)); // to the Issuer Security Domain: not the applet's
    await reader.transmit(buildSelect(LOYALTY_APPLET_AID));
    await reader.transmit(buildCredit(100));
    await reader.transmit(buildGetBalance());
    const text = toAnnotatedText(trace, { timestamps: false });
    expect(text).toMatch(/>> 80 52 00 00 04 00 00 00 64 06\n# INS 52 \(CLA 80 INS 52 P1 00 P2 00, Lc 04, Le 06\)\n# {3}data \(4 bytes\): 00000064\n# 6D00/);
    expect(text).toMatch(/>> 80 52 00 00 04 00 00 00 64 06\n# CREDIT amount 100 \(CLA 80 INS 52 P1 00 P2 00, Lc 04, Le 06\)\n# 9000 success\n# {3}balance 100, counter 1\n<< 00 00 00 64 00 01 90 00/);
    expect(text).toMatch(/# GET BALANCE \(CLA 80 INS 5C/);
  });

  it('forgets the selection at reset, and names nothing without applet models', async () => {
    const card = cardWithLoyalty(LOYALTY_APPLET_AID);
    const trace: TraceEntry[] = [];
    const reader = withTrace(createSimReader(card), trace);
    await reader.powerOn();
    await reader.transmit(buildSelect(LOYALTY_APPLET_AID));
    await reader.reset();
    await reader.transmit(buildCredit(5));
    expect(trace.at(-1)!.note![0]).toMatch(/^INS 52 /);
    const bare: TraceEntry[] = [];
    const unnamed = withTrace(createSimReader(card), bare, { applets: [] });
    await unnamed.powerOn();
    await unnamed.transmit(buildSelect(LOYALTY_APPLET_AID));
    await unnamed.transmit(buildCredit(5));
    expect(bare.at(-1)!.note![0]).toMatch(/^INS 52 /);
  });
});
