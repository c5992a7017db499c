import { describe, it, expect } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { createCard, LOYALTY_APPLET_AID } from '../index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { buildSelect } from '../../protocol/gp/commands/index.ts';
import { cardWithLoyaltyApplet } from '../../test/support/card-host.ts';
import { runCardShell } from './card-shell.ts';

async function shell(input: string, annotate = false): Promise<string[]> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  await runCardShell({ card: createCard({ seed: 1 }), input: Readable.from([input]), output: out, annotate });
  return chunks.join('').split('\n').filter((l) => l !== '');
}

describe('card shell (scriptor-like door)', () => {
  it('prints the ATR, then exactly one R-APDU line per C-APDU, ignoring blank lines and # comments', async () => {
    const lines = await shell('# a comment\n\n00 A4 04 00 00\n80CA004200 # IIN\n80CA00EE00\n');
    expect(lines).toEqual([
      'ATR: 3B8C8001636172646C6162204750323340',
      '6F418408A000000151000000A535732F06072A864886FC6B01600C060A2A864886FC6B02020301630906072A864886FC6B03640B06092A864886FC6B0403709F6501FF9000',
      '420342434C9000',
      '6A88',
    ]);
  });

  it('answers a line that is not hex with one ERROR line, so a line-by-line driver never waits', async () => {
    const lines = await shell('00A4040000\nnot hex\n0A4\n80CA004200\n');
    expect(lines[2]).toMatch(/^ERROR not a hex string/);
    expect(lines[3]).toMatch(/^ERROR hex string has an odd number of digits/);
    expect(lines[4]).toBe('420342434C9000');
  });

  it('with --annotate puts # lines (command name, decoded TLV, SW meaning) before each answer line', async () => {
    const lines = await shell('80CA004200\n', true);
    expect(lines[0]).toMatch(/^ATR: /);
    expect(lines.at(-1)).toBe('420342434C9000');
    const notes = lines.slice(1, -1);
    expect(notes.every((l) => l.startsWith('#'))).toBe(true);
    expect(notes.join('\n')).toMatch(/GET DATA/);
    expect(notes.join('\n')).toMatch(/9000 success/);
    expect(notes.join('\n')).toMatch(/IIN/);
  });

  it('answers `reset` with the ATR after a warm reset', async () => {
    const lines = await shell('reset\n');
    expect(lines).toEqual(['ATR: 3B8C8001636172646C6162204750323340', 'ATR: 3B8C8001636172646C6162204750323340']);
  });
});

describe('card shell --annotate speaks the applets\' own words', () => {
  it('names the loyalty applet\'s CREDIT and its answer once the applet is selected', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const card = cardWithLoyaltyApplet(12);
    await runCardShell({ card, input: Readable.from([`${toHex(buildSelect(LOYALTY_APPLET_AID))}\n80520000040000006400\n`]), output: out, annotate: true });
    const text = chunks.join('');
    expect(text).toMatch(/# CREDIT amount 100/);
    expect(text).toMatch(/balance 100, counter 1/);
  });
});
