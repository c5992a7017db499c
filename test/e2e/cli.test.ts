import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/temp-dir.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cardlab.js');

function cardlab(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
}

describe('cardlab command line', () => {
  it('card new writes a card image; card shell drives it and saves it, so the card outlives its process', () => {
    const dir = tempDir('cardlab-cli-');
    const image = join(dir, 'card.json');
    const made = cardlab(['card', 'new', '--seed', '3', '-o', image]);
    expect(made.status, made.stderr).toBe(0);
    expect(JSON.parse(readFileSync(image, 'utf8')).format).toBe('cardlab-card-image/2');

    // Two INITIALIZE UPDATEs in two processes: the persistent sequence counter goes 1, then 2.
    const iu = '8050000008010203040506070800\n';
    const first = cardlab(['card', 'shell', '--card', image], iu);
    expect(first.status, first.stderr).toBe(0);
    const [atr, r1] = first.stdout.trim().split('\n');
    expect(atr).toBe('ATR: 3B8C8001636172646C6162204750323340');
    expect(r1).toMatch(/^0{20}300370[0-9A-F]{32}0000019000$/);
    const second = cardlab(['card', 'shell', '--card', image], iu);
    expect(second.stdout.trim().split('\n')[1]).toMatch(/0000029000$/);
  });

  it('card new --profile refuses a bad profile naming the file and the JSON path', () => {
    const dir = tempDir('cardlab-cli-');
    const profile = join(dir, 'p.json');
    writeFileSync(profile, JSON.stringify({ isdAid: 'A0' }));
    const r = cardlab(['card', 'new', '--profile', profile, '-o', join(dir, 'c.json')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(profile);
    expect(r.stderr).toContain('$.isdAid');
  });

  it('card new --profile names line and column of a JSON syntax error', () => {
    const dir = tempDir('cardlab-cli-');
    const profile = join(dir, 'p.json');
    writeFileSync(profile, '{\n  "name": "x",\n  "iin": 12,,\n}\n');
    const r = cardlab(['card', 'new', '--profile', profile, '-o', join(dir, 'c.json')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/line 3, column \d+/);
  });

  it('card shell refuses a corrupt card image with its file name', () => {
    const dir = tempDir('cardlab-cli-');
    const image = join(dir, 'card.json');
    writeFileSync(image, JSON.stringify({ format: 'cardlab-card-image/1', profile: {}, persistent: 'AAAA' }));
    const r = cardlab(['card', 'shell', '--card', image], '00A4040000\n');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(image);
  });

  it('terminal provision refuses an unknown reader spec and a sim reader without a card image, saying what to use', () => {
    const base = ['terminal', 'provision', '--issuer', 'http://127.0.0.1:9', '--provider', 'http://127.0.0.1:9', '--service', 's'];
    const bogus = cardlab([...base, '--reader', 'bogus']);
    expect(bogus.status).not.toBe(0);
    expect(bogus.stderr).toMatch(/unknown reader 'bogus': use sim, vpcd, pcsc\[:NAME\] or replay:FILE/);
    const noCard = cardlab([...base, '--reader', 'sim']);
    expect(noCard.status).not.toBe(0);
    expect(noCard.stderr).toMatch(/--reader sim needs --card/);
  });

  it('card serve refuses a --vpcd value that is not [host:]port, before touching the card', () => {
    for (const bad of ['0', '70000', 'host:', 'a:b:c']) {
      const r = cardlab(['card', 'serve', '--vpcd', bad, '--card', '/nonexistent.json']);
      expect(r.status, bad).not.toBe(0);
      expect(r.stderr).toMatch(/--vpcd wants \[host:\]port/);
    }
  });

  it('demo runs a full annotated card session and exits 0', () => {
    const out = execFileSync(process.execPath, [BIN, 'demo'], { encoding: 'utf8' });
    expect(out).toContain('EXTERNAL AUTHENTICATE');
    expect(out).toContain('every exchange answered as expected');
  });
});
