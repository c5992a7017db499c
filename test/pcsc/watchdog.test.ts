/**
 * A PC/SC test process killed with SIGKILL leaves nothing behind: the watchdog of quickack-namespace.sh
 * stops its private pcscd, deletes its network namespace and removes its temporary folder.
 */
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pcscLane } from '../support/system-components.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const lane = await pcscLane({ opensc: false, smartcard: false });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(lane.skip !== undefined)(`private pcscd after its owner is SIGKILLed${lane.skip ? ` (${lane.skip})` : ''}`, () => {
  it('stops pcscd, deletes the namespace and removes the temporary folder within seconds', async () => {
    const script = "import { startPrivatePcscd } from './reader-bridge/index.ts'; const s = await startPrivatePcscd(); console.log(JSON.stringify({ netns: s.netns, pid: s.pcscdPid, socket: s.socket })); setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('the private pcscd did not start within 30 s')), 30_000);
      createInterface({ input: child.stdout! }).once('line', (l) => {
        clearTimeout(timer);
        done(l);
      });
    });
    const started = JSON.parse(line) as { netns: string; pid: number; socket: string };
    const folder = dirname(dirname(started.socket));
    expect([alive(started.pid), existsSync(folder)]).toEqual([true, true]);
    child.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    const namespaces = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    while (Date.now() < deadline && (alive(started.pid) || existsSync(folder) || (started.netns && namespaces().includes(started.netns)))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect({ pcscd: alive(started.pid), folder: existsSync(folder), netns: started.netns !== '' && namespaces().includes(started.netns) }).toEqual({ pcscd: false, folder: false, netns: false });
  }, 60_000);
});
