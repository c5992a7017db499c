import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { createDialogueAnnotator } from '../../protocol/describe.ts';
import type { Card } from '../card.ts';
import { CardError } from '../card.ts';

export interface CardShellOptions {
  card: Card;
  input: Readable;
  output: Writable;
  /** Add `#` lines explaining each exchange (command name, decoded fields, status word meaning). */
  annotate?: boolean;
}

export interface CardShellResult {
  commands: number;
  errors: number;
}

/**
 * A scriptor-like door to the card. Powers the card on and prints `ATR: <hex>`; then for every input
 * line that is not empty or a `#` comment prints exactly one line that does not start with `#`:
 * - a C-APDU in hex (spaces allowed, trailing `# comment` ignored) → the R-APDU in hex, no spaces;
 * - `reset` → `ATR: <hex>` after a warm reset; `power-cycle` → `ATR: <hex>` after a cold one;
 * - anything else → `ERROR <reason>` (so a program driving the shell line by line never waits forever).
 * With `annotate`, explanatory `#` lines come before the answer line.
 */
export async function runCardShell(opts: CardShellOptions): Promise<CardShellResult> {
  const { card, output } = opts;
  const print = (line: string) => output.write(`${line}\n`);
  print(`ATR: ${toHex(card.powerOn())}`);
  let commands = 0;
  let errors = 0;
  // Annotations name the applets' own instructions (CREDIT amount 100) once one is selected.
  const annotator = createDialogueAnnotator(card.applets);
  const rl = createInterface({ input: opts.input, crlfDelay: Infinity, terminal: false });
  for await (const raw of rl) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    if (line === 'reset' || line === 'power-cycle') {
      annotator.reset();
      print(`ATR: ${toHex(line === 'reset' ? card.reset() : card.powerOn())}`);
      continue;
    }
    let command: Uint8Array;
    try {
      command = fromHex(line);
      if (command.length === 0) throw new TypeError('empty C-APDU');
    } catch (err) {
      errors++;
      print(`ERROR ${(err as Error).message}`);
      continue;
    }
    commands++;
    try {
      if (!card.powered) card.powerOn();
      const response = card.transmit(command);
      if (opts.annotate) for (const l of annotator.annotate(command, response)) print(`# ${l}`);
      print(toHex(response));
    } catch (err) {
      if (!(err instanceof CardError)) throw err;
      errors++;
      print(`ERROR ${err.code} ${err.message}`);
    }
  }
  return { commands, errors };
}
