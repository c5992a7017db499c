import { describe, it, expect, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Runs `createPcscReader()` in a child process whose pcsc-lite client looks for the daemon at a socket
 * that does not exist (PCSCLITE_CSOCK_NAME), so the answer does not depend on a pcscd running here.
 */
function pcscWithoutDaemon(script: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const start = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, PCSCLITE_CSOCK_NAME: '/nonexistent/cardlab-test/pcscd.comm' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start };
}

describe('pcsc reader (smartcard package)', () => {
  it('without a daemon fails fast with NO_DAEMON and a one-line message naming pcscd', (ctx) => {
    const r = pcscWithoutDaemon(`
      import { createPcscReader } from './reader-bridge/index.ts';
      try { await createPcscReader(); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
    `);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string };
    expect(out.name).toBe('ReaderError');
    if (out.code === 'NO_LIBRARY') {
      // Outside CI a machine without the smartcard build skips this check with the reason (CI=1 or CARDLAB_PCSC=1: a failure).
      if (!process.env.CI && process.env.CARDLAB_PCSC !== '1') ctx.skip(`the smartcard package does not load here, so NO_DAEMON cannot be checked: ${out.message}`);
      throw new Error(`the smartcard package is not installed here, so NO_DAEMON cannot be checked: ${out.message}`);
    }
    expect(out.code).toBe('NO_DAEMON');
    expect(out.message).not.toContain('\n');
    expect(out.message).toMatch(/pcscd/);
    expect(out.message).toMatch(/apt-get install pcscd/);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('listReaders() without a daemon is NO_DAEMON too, not a hang', () => {
    const r = pcscWithoutDaemon(`
      import { listReaders } from './reader-bridge/index.ts';
      await listReaders().then((l) => console.log('listed', l), (e) => console.log(e.code));
    `);
    expect(r.stdout.trim()).toMatch(/^(NO_DAEMON|NO_LIBRARY)$/);
  });

  it('without the smartcard package fails with NO_LIBRARY naming npm install smartcard and the Debian packages', async () => {
    vi.resetModules();
    vi.doMock('smartcard', () => {
      throw new Error("Cannot find package 'smartcard'");
    });
    const { createPcscReader } = await import('./pcsc-reader.ts');
    const err = (await createPcscReader().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('NO_LIBRARY');
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/npm install smartcard/);
    expect(err.message).toMatch(/apt-get install pcscd libpcsclite1/);
    vi.doUnmock('smartcard');
  });
});
