import { describe, it, expect, vi, afterEach } from 'vitest';

/** The PC/SC lanes' fate on a machine without the `smartcard` build: skipped with the reason off CI, required under CI. */
async function laneWithoutSmartcard(env: Record<string, string | undefined>) {
  vi.resetModules();
  vi.doMock('smartcard', () => {
    throw new Error("Cannot find package 'smartcard' imported from test");
  });
  const saved = { CI: process.env.CI, CARDLAB_PCSC: process.env.CARDLAB_PCSC };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const { pcscLane } = await import('../support/system-components.ts');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const lane = await pcscLane({ opensc: false });
    warn.mockRestore();
    return lane;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

afterEach(() => {
  vi.doUnmock('smartcard');
  vi.resetModules();
});

describe('npm test on a machine without the smartcard build', () => {
  it('skips the PC/SC lanes with the reason and what to install when neither CI nor CARDLAB_PCSC is set', async () => {
    const lane = await laneWithoutSmartcard({ CI: undefined, CARDLAB_PCSC: undefined });
    expect(lane.missing.join(' ')).toContain('smartcard');
    expect(lane.skip).toMatch(/missing .*smartcard.*install: apt-get install pcscd vsmartcard-vpcd .*npm install/);
  });

  it('requires them (no skip: the missing part fails the lane) under CI or with CARDLAB_PCSC=1', async () => {
    for (const env of [{ CI: '1', CARDLAB_PCSC: undefined }, { CI: undefined, CARDLAB_PCSC: '1' }]) {
      const lane = await laneWithoutSmartcard(env);
      expect(lane.skip).toBeUndefined();
      expect(lane.missing.join(' ')).toContain('smartcard');
    }
  });
});
