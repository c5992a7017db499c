import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHostKeys } from '../../scenarios/conform/conform-report.ts';
import { readKeysFile } from '../../scenarios/env/scenario-keys.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('a broken keys file is refused without quoting its keys', () => {
  // JSON.parse's own message quotes the text around the error, here the start of a key.
  const secret = '404142434445464748494A4B4C4D4E4F';
  const broken = `{"enc": "${secret}", "mac": "${secret}" "dek": "${secret}"}`;

  it('cardlab run --keys and cardlab conform --keys say "not valid JSON" and name the file, nothing of its content', () => {
    const file = join(tempDir('cardlab-keys-'), 'keys.json');
    writeFileSync(file, broken);
    for (const read of [() => readKeysFile(file), () => readHostKeys(file)]) {
      const message = (() => {
        try {
          read();
          return '';
        } catch (err) {
          return (err as Error).message;
        }
      })();
      expect(message).toContain(file);
      expect(message).toContain('not valid JSON');
      expect(message).not.toContain(secret.slice(0, 8));
    }
  });
});
