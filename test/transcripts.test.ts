import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { toHex } from '../protocol/bytes.ts';
import { annotate } from '../protocol/describe.ts';
import { createCard, readProfileFile, CardError } from '../simulator/index.ts';
import { parseTranscript } from './support/transcript.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'transcripts');
const files = readdirSync(DIR).filter((f) => f.endsWith('.apdu')).sort();

describe('golden transcripts (seeded card, C-APDU → exact R-APDU)', () => {
  it('has transcripts to walk', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const name of files) {
    it(name, () => {
      const t = parseTranscript(join(DIR, name));
      const card = createCard({ profile: t.profile ? readProfileFile(t.profile) : {}, seed: t.seed });
      const atr = card.powerOn();
      if (t.atr) expect(toHex(atr, ' '), `${name}: ATR`).toBe(toHex(t.atr, ' '));
      let tearAt: number | undefined;
      for (const step of t.steps) {
        if (step.kind === 'tear') tearAt = step.write;
        else if (step.kind !== 'exchange') {
          if (step.kind === 'reset') card.reset();
          else card.powerOn();
        } else {
          if (tearAt !== undefined) {
            const n = tearAt;
            card.onPersistentWrite((w) => (w.index === n ? 'tear' : undefined));
            tearAt = undefined;
          }
          let got: string;
          try {
            got = toHex(card.transmit(step.command), ' ');
          } catch (e) {
            if (!(e instanceof CardError) || e.code !== 'POWER_LOSS') throw e;
            got = 'POWER_LOSS';
          }
          card.onPersistentWrite(undefined);
          const want = step.response === 'POWER_LOSS' ? 'POWER_LOSS' : toHex(step.response, ' ');
          if (got !== want) {
            const why = got === 'POWER_LOSS' ? [] : annotate(step.command, Buffer.from(got.replace(/ /g, ''), 'hex'));
            expect.fail(`${name}:${step.line}: >> ${toHex(step.command, ' ')}\n  expected << ${want}\n  got      << ${got}\n  ${why.join('\n  ')}`);
          }
        }
      }
      expect(card.lastInternalError).toBeUndefined();
    });
  }
});
