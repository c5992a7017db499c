import type { CardEntry, Party, TimelineEntry } from '../../timeline/index.ts';

/** One row of a sequence diagram, whatever draws it (the report's SVG, Mermaid). */
export type DiagramEvent =
  | { kind: 'message'; from: Party; to: Party; label: string; reply: boolean; failed: boolean; fault?: string; secure?: boolean }
  | { kind: 'marker'; label: string; failed: boolean; step: string }
  | { kind: 'step'; label: string; failed: boolean }
  | { kind: 'fault'; party?: Party; label: string }
  | { kind: 'restart'; label: string };

/** The command's name in an annotation's first line: `SELECT (CLA 00 INS A4 …)` → `SELECT`. */
export function commandNameOf(note: readonly string[] | undefined): string {
  const first = note?.[0] ?? '';
  return first.replace(/ \(secure messaging\)/, '').replace(/ \(CLA .*$/, '') || 'APDU';
}

/** The status word of an R-APDU's hex, or undefined. */
export function swOfHex(hex: string): string | undefined {
  return hex.length >= 4 ? hex.slice(-4) : undefined;
}

/** What a card exchange is called on a diagram: its plain command's name when the runner read it. */
function exchangeLabel(c: CardEntry | undefined, r: CardEntry): { command: string; sw: string; secure: boolean } {
  const plainNote = r.sm?.status === 'verified' ? r.sm.note : undefined;
  const command = commandNameOf(plainNote ?? r.note);
  return { command: command === 'APDU' && c ? c.hex.slice(0, 8) : command, sw: (r.sm?.plain ? swOfHex(r.sm.plain) : swOfHex(r.hex)) ?? '', secure: Boolean(r.sm) };
}

/**
 * The timeline as the rows of a sequence diagram of card, terminal, issuer and provider: card exchanges
 * (runs of the same command with the same status word folded into one `×n` row), HTTP exchanges, S1–S16
 * markers, steps, faults and restarts.
 */
export function diagramEvents(timeline: readonly TimelineEntry[]): DiagramEvent[] {
  const out: DiagramEvent[] = [];
  let lastCommand: CardEntry | undefined;
  let fold: { request: Extract<DiagramEvent, { kind: 'message' }>; reply: Extract<DiagramEvent, { kind: 'message' }>; key: string; n: number; base: string; sw: string } | undefined;
  for (const e of timeline) {
    if (e.kind !== 'card' || e.dir !== 'R') {
      if (e.kind !== 'card' || e.dir !== 'C') fold = undefined;
    }
    switch (e.kind) {
      case 'card': {
        if (e.dir === 'C') lastCommand = e;
        else if (e.dir === 'R') {
          const { command, sw, secure } = exchangeLabel(lastCommand, e);
          const key = `${command}|${sw}`;
          if (fold && fold.key === key) {
            fold.n++;
            fold.request.label = `${fold.base} ×${fold.n}`;
          } else {
            const request = { kind: 'message' as const, from: 'terminal' as const, to: 'card' as const, label: command, reply: false, failed: false, secure };
            const reply = { kind: 'message' as const, from: 'card' as const, to: 'terminal' as const, label: sw, reply: true, failed: sw !== '9000' && !sw.startsWith('61'), secure };
            out.push(request, reply);
            fold = { request, reply, key, n: 1, base: command, sw };
          }
          lastCommand = undefined;
        } else if (e.dir === 'EVENT' && e.note?.[0] === 'error') {
          out.push({ kind: 'message', from: 'card', to: 'terminal', label: e.note[1] ?? 'error', reply: true, failed: true });
          fold = undefined;
        } else if (e.dir === 'ATR' && e.note?.[0] === 'reset') {
          out.push({ kind: 'message', from: 'terminal', to: 'card', label: 'reset', reply: false, failed: false });
          fold = undefined;
        }
        break;
      }
      case 'http': {
        if (e.to === 'other' || e.to === e.from) break;
        const request = { kind: 'message' as const, from: e.from, to: e.to, label: `${e.method} ${e.path}`, reply: false, failed: false };
        out.push(e.fault ? { ...request, fault: e.fault } : request);
        out.push({ kind: 'message', from: e.to, to: e.from, label: e.status !== undefined ? String(e.status) : `✕ ${e.error ?? 'no response'}`, reply: true, failed: e.status === undefined || e.status >= 400, ...(e.fault ? { fault: e.fault } : {}) });
        break;
      }
      case 'progress':
        out.push({ kind: 'marker', step: e.step, label: `${e.step} ${e.title}${e.status === 'done' ? '' : ` (${e.status})`}`, failed: e.status === 'failed' });
        break;
      case 'step':
        if (e.phase === 'start') out.push({ kind: 'step', label: `step ${e.index + 1}: ${e.name}`, failed: false });
        else if (e.status === 'failed') out.push({ kind: 'step', label: `step ${e.index + 1} failed`, failed: true });
        break;
      case 'fault':
        if (e.event === 'fired') out.push({ kind: 'fault', ...(e.target ? { party: e.target } : {}), label: `fault: ${e.rule}` });
        else out.push({ kind: 'fault', label: `fault armed: ${e.rule}` });
        break;
      case 'restart':
        out.push({ kind: 'restart', label: e.what });
        break;
    }
  }
  return out;
}
