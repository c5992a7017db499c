import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../../protocol/bytes.ts';
import { createSimReader, parseAnnotatedText, toJsonLines, withTrace, type TraceEntry } from '../../../reader-bridge/index.ts';
import { createCard } from '../../../simulator/index.ts';
import { TSHARK_INSTALL, toolLane } from '../../../test/support/system-components.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/cardlab.js');
const dir = mkdtempSync(join(tmpdir(), 'cardlab-trace-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cardlab(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'trace', 'export', ...args], { encoding: 'utf8', input, cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A card session as `cardlab run --trace-dir` writes it: SELECT the ISD by its AID, GET DATA twice, then a command lost to a power loss. */
async function session(): Promise<TraceEntry[]> {
  const trace: TraceEntry[] = [];
  const card = createCard({ seed: 0 });
  const reader = withTrace(createSimReader(card), trace);
  await reader.powerOn();
  await reader.transmit(fromHex('00A4040008A00000015100000000'));
  await reader.transmit(fromHex('80CA9F7F00'));
  await reader.transmit(fromHex('80CA006600'));
  card.onPersistentWrite(() => 'tear');
  await reader.transmit(fromHex('8050000008112233445566778800')).catch(() => undefined);
  return trace;
}

let jsonl = '';
beforeAll(async () => {
  jsonl = join(dir, 'session.trace.jsonl');
  writeFileSync(jsonl, toJsonLines(await session()));
});

describe('cardlab trace export', () => {
  it('writes the pcap and says how many exchanges went in and which commands stayed out', () => {
    const out = cardlab(['--pcap', 'out/session.pcap', jsonl]);
    expect(out).toEqual({ status: 0, stdout: 'wrote out/session.pcap: 3 exchanges as GSMTAP (SIM) packets to UDP port 4729; 1 command without an answer left out\n', stderr: '' });
    expect(readFileSync(join(dir, 'out/session.pcap')).subarray(0, 4)).toEqual(Buffer.from('D4C3B2A1', 'hex'));
  });

  it('reads annotated text from standard input', () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/transcripts/get-data.apdu'), 'utf8');
    const answered = parseAnnotatedText(text).filter((e) => e.dir === 'R').length;
    expect(cardlab(['--pcap', 'golden.pcap'], text).stdout).toBe(`wrote golden.pcap: ${answered} exchanges as GSMTAP (SIM) packets to UDP port 4729\n`);
  });

  it('exits 1 for a trace it cannot read, 2 for a missing file, a bad start time or no --pcap', () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"t":0,"dir":"C","hex":"00A4"}\n{"t":0,"dir":"X","hex":""}\n');
    const bad = cardlab(['--pcap', 'x.pcap', 'bad.jsonl']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('cardlab: bad.jsonl: line 2: "dir" must be C, R, ATR or EVENT, not "X"\n');
    expect(cardlab(['--pcap', 'x.pcap', 'nope.jsonl'])).toMatchObject({ status: 2, stderr: 'cardlab: no trace file nope.jsonl\n' });
    expect(cardlab(['--pcap', 'x.pcap', '--start', 'yesterday', jsonl]).status).toBe(2);
    expect(cardlab([jsonl]).stderr).toContain("required option '--pcap <file>' not specified");
  });
});

/** Skipped with the reason outside CI when tshark is missing (test/support/system-components.ts); a failure under CI. */
const lane = toolLane('tshark', TSHARK_INSTALL);

function tshark(file: string, ...fields: string[]): string[][] {
  if (lane.missing) throw new Error(`tshark is not installed: ${TSHARK_INSTALL}`);
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
}

describe.skipIf(lane.skip !== undefined)(`cardlab trace export read by Wireshark's dissectors (tshark)${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  it('decodes every exchange as GSMTAP → GSM SIM: SELECT (INS A4) with the ISD AID, GET DATA (CA), each 9000', () => {
    const pcap = join(dir, 'decoded.pcap');
    expect(cardlab(['--pcap', pcap, '--start', '2026-11-30T08:00:00Z', jsonl]).status).toBe(0);
    const rows = tshark(pcap, 'frame.protocols', 'frame.time_epoch', 'gsm_sim.apdu.ins', 'gsm_sim.apdu.sw', 'gsm_sim.aid');
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r[0])).toEqual(Array(3).fill('eth:ethertype:ip:udp:gsmtap:gsm_sim'));
    expect(rows.map((r) => r[2])).toEqual(['0xa4', '0xca', '0xca']);
    expect(rows.map((r) => r[3])).toEqual(['0x9000', '0x9000', '0x9000']);
    expect(rows[0]![4]).toBe('a000000151000000');
    expect(Number(rows[0]![1])).toBeGreaterThanOrEqual(Date.parse('2026-11-30T08:00:00Z') / 1000);
    expect(Number(rows[0]![1])).toBeLessThan(Date.parse('2026-11-30T08:00:10Z') / 1000);
  });

  it('keeps a golden transcript in order, 1 ms apart, with valid IPv4 and UDP checksums', () => {
    const pcap = join(dir, 'golden-decoded.pcap');
    const text = readFileSync(join(ROOT, 'test/fixtures/transcripts/get-data.apdu'), 'utf8');
    expect(cardlab(['--pcap', pcap], text).status).toBe(0);
    const answered = parseAnnotatedText(text).filter((e) => e.dir === 'R').length;
    const rows = tshark(pcap, 'frame.time_relative', 'gsm_sim.apdu.ins');
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: answered }, (_, i) => i / 1000));
    const r = spawnSync('tshark', ['-r', pcap, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status'], { encoding: 'utf8' });
    // Checksum status 1 is "Good" (epan/proto.h PROTO_CHECKSUM_E_GOOD).
    expect(new Set(r.stdout.trimEnd().split('\n'))).toEqual(new Set(['1\t1']));
  });
});
