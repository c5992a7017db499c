import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../protocol/bytes.ts';
import { openReaderBySpec } from './reader-spec.ts';
import { ReaderError } from './reader.ts';
import { tempDir } from '../test/support/temp-dir.ts';

describe('opening a reader from its spec', () => {
  it('replay:FILE (relative to the given folder) answers what the trace recorded', async () => {
    const dir = tempDir('cardlab-spec-');
    writeFileSync(join(dir, 't.txt'), '@atr 3B 00\n>> 80 CA 00 42 00\n<< 42 01 AA 90 00\n');
    const reader = (await openReaderBySpec('replay:t.txt', dir))!;
    expect(toHex(await reader.powerOn())).toBe('3B00');
    expect(toHex(await reader.transmit(Uint8Array.of(0x80, 0xca, 0x00, 0x42, 0x00)))).toBe('4201AA9000');
  });

  it('leaves specs it does not know to the caller (sim, a card the caller serves)', async () => {
    expect(await openReaderBySpec('sim')).toBeUndefined();
    expect(await openReaderBySpec('bogus')).toBeUndefined();
  });

  it('refuses "pcsc:" without a name, saying what to write', async () => {
    await expect(openReaderBySpec('pcsc:')).rejects.toThrow(ReaderError);
    await expect(openReaderBySpec('pcsc:')).rejects.toThrow(/reader name/);
  });
});
