/**
 * Tests that need a system component (pcscd, vsmartcard's vpcd, opensc-tool, the `smartcard` native build)
 * skip with the reason and what to install when it is missing on a developer's machine, and fail when it is
 * required: under CI (`CI` set: .ci/run installs everything) or when `CARDLAB_PCSC=1` asks for the PC/SC
 * lanes (`npm run test:pcsc`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PCSC_INSTALL = 'apt-get install pcscd vsmartcard-vpcd pcsc-tools opensc libpcsclite-dev, then npm install (builds the optional smartcard package)';

/** True when a missing PC/SC component must fail the tests instead of skipping them. */
export function pcscRequired(): boolean {
  return Boolean(process.env.CI) || process.env.CARDLAB_PCSC === '1';
}

function hasCommand(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

let smartcard: Promise<string | undefined> | undefined;
/** Why the `smartcard` package cannot be loaded here (not installed, or its native build failed); undefined when it loads. */
export function smartcardProblem(): Promise<string | undefined> {
  smartcard ??= import('smartcard').then(
    () => undefined,
    (err: Error) => `the smartcard package does not load (${err.message.split('\n')[0]})`,
  );
  return smartcard;
}

/** What is missing for the PC/SC lanes (pcscd + vpcd + opensc-tool + `smartcard`), or undefined when everything is here. */
export async function missingPcscComponents(options: { opensc?: boolean; smartcard?: boolean } = {}): Promise<string[]> {
  const missing: string[] = [];
  if (!hasCommand('pcscd')) missing.push('pcscd');
  if (!existsSync('/etc/reader.conf.d/vpcd')) missing.push('vsmartcard-vpcd (/etc/reader.conf.d/vpcd)');
  if (options.opensc !== false && !hasCommand('opensc-tool')) missing.push('opensc-tool (opensc)');
  if (options.smartcard !== false) {
    const problem = await smartcardProblem();
    if (problem) missing.push(problem);
  }
  return missing;
}

/**
 * Decides a PC/SC test file's fate at collection time: `skip` is a reason (the suite is then declared with
 * `describe.skip` and the reason in its name) or undefined (run; a missing component then fails with what
 * to install).
 */
export async function pcscLane(options: { opensc?: boolean; smartcard?: boolean } = {}): Promise<{ skip: string | undefined; missing: string[] }> {
  const missing = await missingPcscComponents(options);
  if (missing.length === 0 || pcscRequired()) return { skip: undefined, missing };
  const skip = `skipped: missing ${missing.join(', ')}; install: ${PCSC_INSTALL}; CI=1 or CARDLAB_PCSC=1 makes this a failure`;
  console.warn(`PC/SC lane ${skip}`);
  return { skip, missing };
}

export const POSTGRES_INSTALL = 'apt-get install postgresql (the binaries may stay off PATH, under /usr/lib/postgresql/<version>/bin)';

/** True when missing PostgreSQL binaries must fail the tests instead of skipping them: under CI, or when `CARDLAB_POSTGRES=1` asks. */
export function postgresRequired(): boolean {
  return Boolean(process.env.CI) || process.env.CARDLAB_POSTGRES === '1';
}

/**
 * Decides the fate of a test file that needs PostgreSQL (`initdb`, `pg_ctl`, `postgres` on PATH or under
 * /usr/lib/postgresql/<version>/bin; test/support/private-postgres.ts): `skip` is a reason when they are
 * missing on a developer's machine; undefined when they are here, or when they are required (the file
 * then fails with what to install).
 */
export function postgresLane(findBin: () => string | undefined): { skip: string | undefined } {
  if (findBin() !== undefined || postgresRequired()) return { skip: undefined };
  const skip = `skipped: PostgreSQL is not installed (initdb, pg_ctl, postgres); install: ${POSTGRES_INSTALL}; CI=1 or CARDLAB_POSTGRES=1 makes this a failure`;
  console.warn(`PostgreSQL lane ${skip}`);
  return { skip };
}

/** What to install for the tests that read cardlab's pcap files with Wireshark's dissectors. */
export const TSHARK_INSTALL = 'apt-get install tshark';

/**
 * Decides the fate of tests that need a command-line tool (`tshark`): `skip` is the reason, with what to
 * install, when the tool is missing on a developer's machine; under CI (`CI` set: .ci/run installs it) it is
 * undefined, so the tests run and fail, `missing` telling them why.
 */
export function toolLane(tool: string, install: string): { skip: string | undefined; missing: boolean } {
  const missing = !hasCommand(tool);
  if (!missing || process.env.CI) return { skip: undefined, missing };
  const skip = `skipped: ${tool} is missing; install: ${install}; CI=1 makes this a failure`;
  console.warn(`${tool} lane ${skip}`);
  return { skip, missing };
}

/** Debian's chromium, which the browser tests drive with playwright-core (no browser is downloaded). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'apt-get install chromium';

/**
 * Decides the fate of tests that open a page in a real browser: `skip` is the reason, with what to install,
 * when chromium is missing on a developer's machine; under CI (`CI` set) it is undefined, so the tests run
 * and fail, `missing` telling them why.
 */
export function chromiumLane(): { skip: string | undefined; missing: boolean } {
  const missing = !existsSync(CHROMIUM_PATH);
  if (!missing || process.env.CI) return { skip: undefined, missing };
  const skip = `skipped: chromium is missing (${CHROMIUM_PATH}); install: ${CHROMIUM_INSTALL}; CI=1 makes this a failure`;
  console.warn(`browser lane ${skip}`);
  return { skip, missing };
}
