import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReaderError } from '../reader.ts';

const SCRIPT = fileURLToPath(new URL('./quickack-namespace.sh', import.meta.url));
const FORWARDER = fileURLToPath(new URL('./netns-forwarder.mjs', import.meta.url));
const SYSTEM_VPCD_CONF = '/etc/reader.conf.d/vpcd';
/** vpcd's slot-0 port in its stock configuration; inside a namespace of our own nobody else has it. */
const VPCD_PORT = 35963;
export const INSTALL_PCSC_STACK = 'needs pcscd and vsmartcard-vpcd: apt-get install pcscd vsmartcard-vpcd';

export interface PrivatePcscd {
  /** `quickack-namespace`: pcscd in a network namespace of its own; `plain-loopback`: on the host's loopback, vpcd on private ports. */
  readonly mode: 'quickack-namespace' | 'plain-loopback';
  /** The network namespace ('' on plain loopback). */
  readonly netns: string;
  readonly pcscdPid: number;
  /** pcscd's socket: what PC/SC clients need in PCSCLITE_CSOCK_NAME. */
  readonly socket: string;
  /** Where a card server connects for `Virtual PCD 00 00` (spread into `serveCardOverVpcd`'s options). */
  readonly cardEndpoint: { path: string } | { host: string; port: number };
  /** Synchronous, so it can run in a process's `exit` handler: stops pcscd (and the forwarder) by PID. */
  stop(): void;
}

export interface PrivatePcscdOptions {
  /** `auto` (default): the quickack namespace when `ip netns` is permitted, else plain loopback. CARDLAB_PCSC_PLAIN=1 forces plain. */
  namespace?: 'auto' | 'never';
  /** Stop pcscd when this process is gone, however it ended (a watchdog; default: this process). */
  ownerPid?: number;
}

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 20_000 });

/** vpcd's driver library as the package installed it (LIBPATH of /etc/reader.conf.d/vpcd). */
function vpcdDriver(): string {
  if (sh('sh', ['-c', 'command -v pcscd && command -v unshare']).status !== 0) throw new ReaderError('NO_DAEMON', `${INSTALL_PCSC_STACK} (pcscd is not installed)`);
  if (!existsSync(SYSTEM_VPCD_CONF)) throw new ReaderError('NO_DAEMON', `${INSTALL_PCSC_STACK} (${SYSTEM_VPCD_CONF} is missing)`);
  const lib = /^\s*LIBPATH\s+(\S+)/m.exec(readFileSync(SYSTEM_VPCD_CONF, 'utf8'))?.[1];
  if (!lib || !existsSync(lib)) throw new ReaderError('NO_DAEMON', `${INSTALL_PCSC_STACK} (the vpcd driver ${lib ?? '(no LIBPATH)'} is missing)`);
  return lib;
}

/** A port p with p and p + 1 free on loopback now (vpcd's two slots listen on both). */
async function freePortPair(): Promise<number> {
  const bind = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
        const got = (s.address() as { port: number }).port;
        s.close(() => resolve(got));
      });
    });
  for (let i = 0; i < 50; i++) {
    const p = await bind(0);
    if (p !== undefined && p < 65535 && (await bind(p + 1)) !== undefined) return p;
  }
  throw new ReaderError('NO_DAEMON', 'found no two consecutive free TCP ports on loopback for a private vpcd');
}

const parseVars = (text: string) => Object.fromEntries(text.trim().split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

/**
 * Starts a PC/SC daemon of this process's own with vsmartcard's vpcd driver (reader `Virtual PCD 00 00`),
 * never meeting the system's pcscd (private /run/pcscd). Where `ip netns` is permitted it runs in a
 * network namespace whose loopback routes carry `quickack 1` (vpcd's split writes then do not stall ~40 ms
 * per APDU), with a forwarder in the namespace so a card served from this process reaches vpcd through a
 * unix socket; otherwise on plain loopback with vpcd on two free ports from a reader.conf of its own, so
 * that several processes can each run one at once. NO_DAEMON, naming what to install, when pcscd or vpcd
 * is missing or the daemon does not start. See quickack-namespace.sh and shared/reference/vpcd-protocol.md.
 */
export async function startPrivatePcscd(options: PrivatePcscdOptions = {}): Promise<PrivatePcscd> {
  const driver = vpcdDriver();
  const dir = mkdtempSync(join(tmpdir(), 'cardlab-pcscd-'));
  const owner = String(options.ownerPid ?? process.pid);
  // The watchdog of quickack-namespace.sh stops pcscd, deletes the namespace and removes `dir` once the owner is gone, even after SIGKILL.
  const env = { ...process.env, CARDLAB_OWNER_PID: owner, CARDLAB_OWNED_DIR: dir };
  const namespace = options.namespace !== 'never' && process.env.CARDLAB_PCSC_PLAIN !== '1' && sh(SCRIPT, ['probe']).status === 0;
  let pcscdPid = 0;
  let forwarderPid = 0;
  let netns = '';
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    // Our own child is signalled directly (waiting on it here would only see its zombie); pcscd (TERM,
    // KILL after 3 s: it takes ~1.5 s to leave) and the namespace are left to `down`, detached, so that
    // stopping costs no time — also in an `exit` handler.
    if (forwarderPid) tryKill(forwarderPid);
    if (pcscdPid || netns) spawn(SCRIPT, ['down', ...(netns ? [netns] : []), ...(pcscdPid ? [String(pcscdPid)] : [])], { detached: true, stdio: 'ignore' }).unref();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    let cardEndpoint: PrivatePcscd['cardEndpoint'];
    let vars: Record<string, string>;
    if (namespace) {
      const up = sh(SCRIPT, ['up', join(dir, 'run'), `cardlab-${process.pid}-${Math.random().toString(36).slice(2, 8)}`], env);
      vars = parseVars(up.stdout);
      netns = vars.NETNS ?? '';
      pcscdPid = Number(vars.PCSCD_PID ?? 0);
      if (up.status !== 0) throw new ReaderError('NO_DAEMON', `pcscd did not start: ${up.stderr.trim() || up.stdout.trim()}`);
      const path = join(dir, 'vpcd.sock');
      forwarderPid = await startForwarder(netns, path, owner);
      cardEndpoint = { path };
    } else {
      const port = await freePortPair();
      const conf = join(dir, 'reader.conf.d');
      mkdirSync(conf);
      const id = `0x${port.toString(16).toUpperCase()}`;
      writeFileSync(join(conf, 'vpcd'), `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:${id}\nLIBPATH      ${driver}\nCHANNELID    ${id}\n`);
      const up = sh(SCRIPT, ['up-plain', join(dir, 'run'), conf], env);
      vars = parseVars(up.stdout);
      pcscdPid = Number(vars.PCSCD_PID ?? 0);
      if (up.status !== 0) throw new ReaderError('NO_DAEMON', `pcscd did not start: ${up.stderr.trim() || up.stdout.trim()}`);
      cardEndpoint = { host: '127.0.0.1', port };
    }
    return {
      mode: namespace ? 'quickack-namespace' : 'plain-loopback',
      netns,
      pcscdPid,
      socket: vars.PCSCLITE_CSOCK_NAME!,
      cardEndpoint,
      stop,
    };
  } catch (err) {
    stop();
    throw err instanceof ReaderError ? err : new ReaderError('NO_DAEMON', `the private pcscd did not start: ${(err as Error).message}`, { cause: err });
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** The forwarder in the namespace (`ip netns exec` execs, so the child's PID is node's own). */
async function startForwarder(netns: string, path: string, owner: string): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, FORWARDER, path, String(VPCD_PORT), owner], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the vpcd forwarder did not listen within 10 s: ${out}`));
    }, 10_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening')) (clearTimeout(timer), resolve());
    });
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the vpcd forwarder exited (${code}): ${out}`))));
  });
  child.removeAllListeners('exit');
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  // It must not keep this process alive: it is stopped by PID (stop()) or stops itself with its owner.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  return child.pid!;
}
