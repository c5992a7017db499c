import { describe, it, expect, afterEach } from 'vitest';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../scenarios/cli/cardlab.ts';
import { callJson } from '../../terminal/http-client.ts';
import { TerminalError } from '../../terminal/index.ts';

const PACKAGE = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Runs the CLI in this process: its exit code and what it wrote. */
async function cardlab(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    await main(['node', 'cardlab', ...args]);
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.exitCode = undefined;
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('one command line: --version, numeric options, exit codes', () => {
  it('--version (and -V) prints the package version and exits 0', async () => {
    expect(await cardlab('--version')).toMatchObject({ code: 0, out: `${PACKAGE.version}\n` });
    expect((await cardlab('-V')).out.trim()).toBe(PACKAGE.version);
  });

  it('cap build keeps its own --version option (the package version of the CAP)', async () => {
    const r = await cardlab('cap', 'build', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--version <major.minor>');
  });

  it('--seed abc is a usage error (exit 2) in demo, card new, terminal provision and run, naming the option', async () => {
    for (const args of [
      ['demo', '--seed', 'abc'],
      ['card', 'new', '--seed', 'abc', '-o', '/nonexistent/x.json'],
      ['terminal', 'provision', '--reader', 'vpcd', '--issuer', 'http://x', '--provider', 'http://x', '--service', 's', '--seed', 'abc'],
      ['run', '--seed', '-1'],
    ]) {
      const r = await cardlab(...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.err).toMatch(/--seed <n>.*invalid/);
    }
  });

  it('--workers 0 and an unknown option are usage errors (2); --help shows the exit codes', async () => {
    expect((await cardlab('run', '--workers', '0')).code).toBe(2);
    expect((await cardlab('run', '--no-such-option')).code).toBe(2);
    const help = await cardlab('run', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 .*usage/);
  });

  it('run --reader bogus is a usage error before any scenario runs', async () => {
    const r = await cardlab('run', '--reader', 'bogus', 'scenarios/suite');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown reader 'bogus'");
    expect(r.out).toBe('');
  });

  it('run --reader replay:FILE needs the file, relative to the working directory', async () => {
    const r = await cardlab('run', '--reader', 'replay:no-such-trace.jsonl');
    expect(r.code).toBe(2);
    expect(r.err).toContain(join(process.cwd(), 'no-such-trace.jsonl'));
  });
});

describe('network errors name their cause', () => {
  it('a refused connection says connection refused (ECONNREFUSED host:port), not just "fetch failed"', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = (await callJson('S3', `http://127.0.0.1:${port}/cards/collate`, { body: {}, idempotent: true }, { attempts: 1, timeoutMs: 5_000 }).catch((e: unknown) => e)) as TerminalError;
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain(`connection refused (ECONNREFUSED 127.0.0.1:${port})`);
  });

  it('an unknown host says host not found (DNS)', async () => {
    const err = (await callJson('S3', 'http://cardlab-no-such-host.invalid/x', { body: {}, idempotent: true }, { attempts: 1, timeoutMs: 5_000 }).catch((e: unknown) => e)) as TerminalError;
    expect(err.message).toMatch(/host not found \(DNS\) \((ENOTFOUND|EAI_AGAIN) cardlab-no-such-host\.invalid\)|DNS lookup failed/);
  });
});
