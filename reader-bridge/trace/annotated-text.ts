import { fromHex, toHex } from '../../protocol/bytes.ts';
import { TraceParseError, type TraceEntry } from './trace-entry.ts';

/**
 * The annotated text view of a trace, in the golden-transcript format (test/fixtures/transcripts):
 *
 *   # @t 12.345 12.789          timestamps (ms) of the next entry: command, response
 *   >> 80 CA 9F 7F 00           C-APDU
 *   # GET DATA …                annotation (the response entry's note)
 *   << 9F 7F 2A … 90 00         R-APDU; `<< POWER_LOSS` (any ReaderError code): no response, that error
 *   @atr 3B …                   ATR of a power-on; preceded by `@reset` for a warm reset
 *   # @event card-removed       an event; `# @event error TIMEOUT: message` for an error outside an exchange
 *
 * Without timestamps it is a golden transcript as the transcript test reads it, so one text is test
 * input, review artefact and replay source.
 */
export function toAnnotatedText(entries: readonly TraceEntry[], options: { timestamps?: boolean; title?: string } = {}): string {
  const stamps = options.timestamps ?? true;
  const out: string[] = [];
  if (options.title) out.push(`# ${options.title}`);
  const stamp = (...ts: number[]) => {
    if (stamps) out.push(`# @t ${ts.map((t) => t.toFixed(3)).join(' ')}`);
  };
  const notes = (n: string[] | undefined) => {
    for (const line of n ?? []) out.push(`# ${line}`);
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const next = entries[i + 1];
    switch (e.dir) {
      case 'ATR':
        stamp(e.t);
        if (e.note?.[0] === 'reset') out.push('@reset');
        out.push(`@atr ${spaced(e.hex)}`);
        break;
      case 'EVENT':
        stamp(e.t);
        out.push(`# @event ${eventText(e.note ?? [])}`);
        break;
      case 'C':
        if (next?.dir === 'R') {
          stamp(e.t, next.t);
          out.push(`>> ${spaced(e.hex)}`);
          notes(e.note);
          notes(next.note);
          out.push(`<< ${spaced(next.hex)}`);
          i++;
        } else if (next?.dir === 'EVENT' && next.note?.[0] === 'error' && next.note[1]) {
          stamp(e.t, next.t);
          out.push(`>> ${spaced(e.hex)}`);
          notes(e.note);
          notes(next.note.slice(2));
          out.push(`<< ${next.note[1]}`);
          i++;
        } else {
          stamp(e.t);
          out.push(`>> ${spaced(e.hex)}`);
          notes(e.note);
        }
        break;
      case 'R':
        stamp(e.t);
        notes(e.note);
        out.push(`<< ${spaced(e.hex)}`);
        break;
    }
  }
  return out.map((l) => `${l}\n`).join('');
}

function spaced(hex: string): string {
  return hex.replace(/(..)(?=.)/g, '$1 ');
}

function eventText(note: string[]): string {
  const [name = 'unknown', detail, ...rest] = note;
  return `${name}${detail !== undefined ? ` ${detail}` : ''}${rest.length ? `: ${rest.join(': ')}` : ''}`;
}

/** A ReaderError code in place of a response (`POWER_LOSS`): capitals, never mistakable for hex (`DA`). */
const ERROR_WORD = /^(?=[A-Z_]*[G-Z_])[A-Z][A-Z_]+$/;

/**
 * Reads the annotated text back into entries (what `toAnnotatedText` wrote, or a hand-written golden
 * transcript: `@reset` without `@atr` repeats the last ATR, `@power-cycle` is a power-off and a
 * power-on, other directives are ignored). Annotations between `>>` and `<<` become the response's note; a
 * command followed by an event instead of `<<` got no answer, as `toAnnotatedText` writes it.
 */
export function parseAnnotatedText(text: string): TraceEntry[] {
  const entries: TraceEntry[] = [];
  let stamps: number[] = [];
  let lastAtr = '';
  let pendingReset: { t: number } | undefined;
  let command: { t: number; tr: number; hex: string; notes: string[]; line: number } | undefined;

  const takeStamp = () => {
    const s = stamps;
    stamps = [];
    return s;
  };
  // A command left without `<<` got no answer (the card was pulled, say, and the error came later): it stands alone.
  const flushCommand = () => {
    if (command) entries.push(command.notes.length ? { t: command.t, dir: 'C', hex: command.hex, note: command.notes } : { t: command.t, dir: 'C', hex: command.hex });
    command = undefined;
  };
  const flushReset = () => {
    if (pendingReset) entries.push({ t: pendingReset.t, dir: 'ATR', hex: lastAtr, note: ['reset'] });
    pendingReset = undefined;
  };
  const hexOf = (s: string, n: number) => {
    try {
      return toHex(fromHex(s));
    } catch (e) {
      throw new TraceParseError(n, (e as Error).message);
    }
  };

  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trimEnd();
    const bare = line.trim();
    if (bare === '') return;
    const t = /^# @t ((?:\d+(?:\.\d+)?)(?: \d+(?:\.\d+)?)*)$/.exec(bare);
    if (t) {
      stamps = t[1]!.split(' ').map(Number);
      return;
    }
    const ev = /^# @event (\S+)(?: (\S+)(?:: (.*))?)?$/.exec(bare);
    if (ev) {
      flushCommand();
      flushReset();
      const note = [ev[1]!, ...(ev[2] !== undefined ? [ev[2]] : []), ...(ev[3] !== undefined ? [ev[3]] : [])];
      entries.push({ t: takeStamp()[0] ?? 0, dir: 'EVENT', hex: '', note });
      return;
    }
    if (bare.startsWith('#')) {
      // Inside an exchange a comment is its annotation; elsewhere it is a remark for the reader.
      if (command) command.notes.push(line.replace(/^\s*# ?/, ''));
      return;
    }
    if (bare.startsWith('>>')) {
      if (command) throw new TraceParseError(n, 'two commands without a response between them');
      flushReset();
      const [tc = 0, tr = tc] = takeStamp();
      command = { t: tc, tr, hex: hexOf(bare.slice(2), n), notes: [], line: n };
      return;
    }
    if (bare.startsWith('<<')) {
      if (!command) throw new TraceParseError(n, 'a response without a command');
      const body = bare.slice(2).trim();
      entries.push({ t: command.t, dir: 'C', hex: command.hex });
      if (ERROR_WORD.test(body)) entries.push({ t: command.tr, dir: 'EVENT', hex: '', note: ['error', body, ...command.notes] });
      else entries.push(command.notes.length ? { t: command.tr, dir: 'R', hex: hexOf(body, n), note: command.notes } : { t: command.tr, dir: 'R', hex: hexOf(body, n) });
      command = undefined;
      return;
    }
    if (bare.startsWith('@')) {
      if (command) throw new TraceParseError(n, 'a directive between a command and its response');
      const [word, ...rest] = bare.slice(1).split(/\s+/);
      if (word === 'atr') {
        lastAtr = hexOf(rest.join(''), n);
        const st = pendingReset ? pendingReset.t : (takeStamp()[0] ?? 0);
        entries.push({ t: st, dir: 'ATR', hex: lastAtr, note: [pendingReset ? 'reset' : 'power-on'] });
        pendingReset = undefined;
      } else if (word === 'reset') {
        flushReset();
        pendingReset = { t: takeStamp()[0] ?? 0 };
      } else if (word === 'power-cycle') {
        flushReset();
        const st = takeStamp()[0] ?? 0;
        entries.push({ t: st, dir: 'EVENT', hex: '', note: ['power-off'] }, { t: st, dir: 'ATR', hex: lastAtr, note: ['power-on'] });
      }
      // @profile, @seed, @tear: how the golden transcript's card is made; not part of the dialogue.
      return;
    }
    throw new TraceParseError(n, `cannot read line: ${bare.length > 60 ? `${bare.slice(0, 60)}…` : bare}`);
  });
  flushReset();
  flushCommand();
  return entries;
}
