import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fromHex } from '../../protocol/bytes.ts';

/**
 * A golden transcript (test/fixtures/transcripts/*.apdu): the text an annotated trace prints.
 *   >> <C-APDU hex>        a command (spaces allowed)
 *   << <R-APDU hex>        the exact response expected; `<< POWER_LOSS` = no response, power was lost
 *   # …                    comment / annotation, ignored
 *   @profile <file>        card profile, relative to the transcript (before the first command)
 *   @seed <n>              card seed (default 0)
 *   @atr <hex>             expected ATR of the power-on that starts the transcript
 *   @reset                 warm reset;  @power-cycle  power off and on (recovery runs)
 *   @tear <n>              the next command loses power at its n-th persistent write
 */
export type TranscriptStep =
  | { kind: 'exchange'; line: number; command: Uint8Array; response: Uint8Array | 'POWER_LOSS' }
  | { kind: 'reset' | 'power-cycle'; line: number }
  | { kind: 'tear'; line: number; write: number };

export interface Transcript {
  file: string;
  profile?: string;
  seed: number;
  atr?: Uint8Array;
  steps: TranscriptStep[];
}

export function parseTranscript(file: string): Transcript {
  const lines = readFileSync(file, 'utf8').split('\n');
  const t: Transcript = { file, seed: 0, steps: [] };
  let pending: { line: number; command: Uint8Array } | undefined;
  const fail = (n: number, msg: string): never => {
    throw new Error(`${file}:${n}: ${msg}`);
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const hex = (s: string) => {
      try {
        return fromHex(s);
      } catch (e) {
        return fail(n, (e as Error).message);
      }
    };
    if (line.startsWith('>>')) {
      if (pending) fail(n, 'two commands without a response between them');
      pending = { line: n, command: hex(line.slice(2)) };
    } else if (line.startsWith('<<')) {
      if (!pending) fail(n, 'response without a command');
      const body = line.slice(2).trim();
      t.steps.push({ kind: 'exchange', line: pending!.line, command: pending!.command, response: body === 'POWER_LOSS' ? 'POWER_LOSS' : hex(body) });
      pending = undefined;
    } else if (line.startsWith('@')) {
      if (pending) fail(n, 'directive between a command and its response');
      const [word, ...rest] = line.slice(1).split(/\s+/);
      const arg = rest.join(' ');
      if (word === 'profile') t.profile = resolve(dirname(file), arg);
      else if (word === 'seed') t.seed = Number(arg);
      else if (word === 'atr') t.atr = hex(arg);
      else if (word === 'reset' || word === 'power-cycle') t.steps.push({ kind: word, line: n });
      else if (word === 'tear') t.steps.push({ kind: 'tear', line: n, write: Number(arg) });
      else fail(n, `unknown directive @${word}`);
    } else fail(n, `cannot read line: ${line}`);
  });
  if (pending) fail(pending.line, 'command without a response');
  return t;
}
