import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReaderError, type Reader } from './reader.ts';
import { createPcscReader, VPCD_READER_NAME } from './pcsc-reader.ts';
import { createReplayReader } from './replay-reader.ts';

/**
 * A reader of the host's own from its spec: `pcsc` (the first PC/SC reader), `pcsc:NAME` (the one whose
 * name starts with NAME), `vpcd` (PC/SC reader `Virtual PCD 00 00`, whatever card vpcd serves there),
 * `replay:FILE` (a recorded trace, relative to `dir`). Undefined for any other spec, so callers can add
 * their own (the in-process `sim` card, a card they serve themselves).
 */
export async function openReaderBySpec(spec: string, dir = process.cwd()): Promise<Reader | undefined> {
  if (spec === 'vpcd') return createPcscReader({ reader: VPCD_READER_NAME });
  if (spec === 'pcsc') return createPcscReader({});
  if (spec.startsWith('pcsc:')) {
    if (spec.length === 5) throw new ReaderError('NO_READER', 'pcsc: needs a reader name after the colon (or use pcsc for the first reader)');
    return createPcscReader({ reader: spec.slice(5) });
  }
  if (spec.startsWith('replay:')) return createReplayReader(readFileSync(resolve(dir, spec.slice(7)), 'utf8'));
  return undefined;
}
