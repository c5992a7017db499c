import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runScenario } from '../../scenarios/run-scenario.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cardlab.js');

describe('a scenario against running servers (servers: { issuer, provider })', () => {
  it('provisions the demo card of `cardlab serve` over real HTTP to another process', async () => {
    const dir = tempDir('cardlab-external-');
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', join(dir, 'data'), '--issuer-port', '0', '--provider-port', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CARDLAB_OWNER_PID: String(process.pid) } });
    try {
      const lines: Record<string, string> = {};
      for await (const line of createInterface({ input: child.stdout! })) {
        const [k, ...v] = line.split(': ');
        lines[k!] = v.join(': ');
        if (k === 'service') break;
      }
      const file = join(dir, 'external.yaml');
      writeFileSync(
        file,
        [
          'name: provisioning against running servers',
          `servers: { issuer: "${lines.issuer}", provider: "${lines.provider}" }`,
          `card: { image: "${lines.card}" }`,
          'steps:',
          '  - provision: { service: loyalty }',
          '  - assert: { card: { applications: [F0434152444C01], balance: { instance: F0434152444C01, value: 100 } } }',
          '  - name: database assertions need the embedded servers',
          '    assert: { issuer: { orders: { confirmed: 1 } } }',
        ].join('\n'),
      );
      const r = await runScenario(file);
      expect(r.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
      expect(r.failure!.message).toMatch(/embedded servers/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
