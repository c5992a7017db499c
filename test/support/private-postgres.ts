/**
 * A PostgreSQL cluster of the test process's own: `initdb` into a temporary folder, `postgres` on a free
 * loopback port with its socket in that folder, trust authentication for the user `cardlab`. It never
 * meets a system cluster. Stopped by its PID (`stop()`, in afterAll) and, should the test process die
 * however it ends (even SIGKILL), by a watchdog that outlives it and then removes the folder.
 * Under root (containers, CI) the cluster runs as the `postgres` user, since PostgreSQL refuses root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { postgresLane } from './system-components.ts';

/** Where the Debian package puts the binaries (not on PATH) and where a source build does. */
const SEARCHED = ['/usr/lib/postgresql', '/usr/local/pgsql/bin'];

/** The folder holding `initdb`, `pg_ctl` and `postgres`: from PATH, else the newest /usr/lib/postgresql/<version>/bin; undefined when none. */
export function findPostgresBin(): string | undefined {
  const complete = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(join(dir, tool)));
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) {
    const dir = dirname(realpathSync(onPath.stdout.trim()));
    if (complete(dir)) return dir;
  }
  if (existsSync(SEARCHED[0]!)) {
    const versions = readdirSync(SEARCHED[0]!).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (complete(join(SEARCHED[0]!, v, 'bin'))) return join(SEARCHED[0]!, v, 'bin');
  }
  return complete(SEARCHED[1]!) ? SEARCHED[1] : undefined;
}

export interface PrivatePostgres {
  /** `postgres://cardlab@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** The postmaster's PID. */
  readonly pid: number;
  /** The temporary folder (data directory, socket, log). */
  readonly dir: string;
  /** Synchronous, so it also runs in an `exit` handler: fast shutdown by PID (KILL after 5 s), then removes the folder. */
  stop(): void;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Under root: the account the cluster runs as, and the prefix that runs a command as it. */
function runAs(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('PostgreSQL refuses to run as root and there is no `postgres` user to run it as (apt-get install postgresql creates one)');
  return { uid, gid: id('-g'), prefix: ['runuser', '-u', 'postgres', '--'] };
}

/**
 * Starts a private cluster (a few seconds: initdb, then the server with fsync off — test data only).
 * `ownerPid` (default: this process) is the process whose death stops it.
 */
export async function startPrivatePostgres(options: { ownerPid?: number } = {}): Promise<PrivatePostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (initdb, pg_ctl, postgres): apt-get install postgresql');
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'cardlab-pg-'));
  const data = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (tool: string, args: string[]) => {
    const [cmd, ...rest] = [...(user?.prefix ?? []), join(bin, tool), ...args];
    return spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 60_000, cwd: dir });
  };
  const fail = (what: string, r: { stdout: string; stderr: string }) => {
    const log = existsSync(join(dir, 'postgres.log')) ? readFileSync(join(dir, 'postgres.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    return new Error(`${what}: ${`${r.stderr}\n${r.stdout}\n${log}`.trim().split('\n').slice(-5).join(' | ')}`);
  };
  const init = run('initdb', ['-D', data, '-A', 'trust', '-U', 'cardlab', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) throw fail('initdb failed', init);

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const server = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    const started = run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'postgres.log'), '-o', server]);
    if (started.status === 0) break;
    // Another process may have taken the port between the probe and the start: try another.
    if (attempt === 3) throw fail('pg_ctl start failed', started);
  }
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);

  const owner = options.ownerPid ?? process.pid;
  // The watchdog stops the cluster once its owner is gone; the folder goes only when the owner did.
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${owner} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done
       kill -INT ${pid} 2>/dev/null
       for i in $(seq 1 100); do kill -0 ${pid} 2>/dev/null || break; sleep 0.05; done
       kill -KILL ${pid} 2>/dev/null
       if ! kill -0 ${owner} 2>/dev/null; then rm -rf -- '${dir}'; fi`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    if (alive(pid)) process.kill(pid, 'SIGINT'); // fast shutdown: ends sessions, no checkpoint wait for clients
    for (let i = 0; i < 100 && alive(pid); i++) sleepSync(50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (watchdog.pid !== undefined && alive(watchdog.pid)) process.kill(watchdog.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  return { url: `postgres://cardlab@127.0.0.1:${port}/postgres`, port, pid, dir, stop };
}

/**
 * Declares tests that run against a private PostgreSQL cluster started once for them (stopped after them,
 * and by its watchdog if the test process dies): `define` receives the cluster's URL as a function, valid
 * inside the tests. Without PostgreSQL outside CI the block is skipped with the reason and what to install.
 */
export function onPrivatePostgres(define: (url: () => string) => void): void {
  const lane = postgresLane(findPostgresBin);
  if (lane.skip) {
    describe.skip(`PostgreSQL (pg): ${lane.skip}`, () => it('runs on PostgreSQL', () => undefined));
    return;
  }
  let cluster: PrivatePostgres | undefined;
  describe('on a private PostgreSQL cluster', () => {
    beforeAll(async () => {
      cluster = await startPrivatePostgres();
    });
    afterAll(() => cluster?.stop());
    define(() => cluster!.url);
  });
}
