import { swMeaning, swName } from '../../../protocol/apdu/index.ts';
import type { CardEntry, TimelineEntry } from '../../timeline/index.ts';
import { commandNameOf, swOfHex } from './diagram-model.ts';
import { escapeHtml as h } from './escape.ts';

/** What the viewer shows of long values (the timeline files hold them whole): the page stays small for a whole suite. */
const HEX_MAX = 96;
const BODY_MAX = 400;
const NOTES_MAX = 24;

const spaced = (hex: string) => (hex.length > HEX_MAX ? `${hex.slice(0, HEX_MAX)}… (${hex.length / 2} bytes)` : hex);
/**
 * Annotations repeat (every SELECT of the ISD decodes the same FCI): the page holds each text once, in a
 * JSON list its script puts back into the `<pre data-n>` elements that name it.
 */
export class NoteBook {
  readonly #ids = new Map<string, number>();
  readonly texts: string[] = [];
  /** The id of `text` in the list, added when new. */
  idOf(text: string): number {
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.#ids.set(text, id);
      this.texts.push(text);
    }
    return id;
  }
  /** The list as the content of a `<script type="application/json">` (no `</script>` can end it early). */
  toJson(): string {
    return JSON.stringify(this.texts).replace(/</g, '\\u003c');
  }
}

const notes = (book: NoteBook, n: readonly string[] | undefined) =>
  n && n.length ? `<pre class="notes" data-n="${book.idOf([...n.slice(0, NOTES_MAX), ...(n.length > NOTES_MAX ? [`… ${n.length - NOTES_MAX} more lines`] : [])].join('\n'))}"></pre>` : '';
const body = (v: unknown) => {
  if (v === undefined) return '';
  const text = JSON.stringify(v);
  return `<pre class="body">${h(text.length > BODY_MAX ? `${text.slice(0, BODY_MAX)} … (${text.length} characters)` : text)}</pre>`;
};

/** The meaning of a status word as the SW tables give it: `6A88 REFERENCED_DATA_NOT_FOUND: referenced data not found`. */
export function swText(sw: string): string {
  const n = parseInt(sw, 16);
  if (!/^[0-9A-F]{4}$/i.test(sw)) return sw;
  const name = swName(n);
  return `${sw.toUpperCase()}${name && name !== sw.toUpperCase() ? ` ${name}` : ''}: ${swMeaning(n)}`;
}

function cardRow(book: NoteBook, c: CardEntry | undefined, r: CardEntry): string {
  const plain = r.sm?.status === 'verified' && c?.sm?.status === 'verified';
  const name = commandNameOf(plain ? r.sm!.note : r.note);
  const sw = (plain && r.sm!.plain ? swOfHex(r.sm!.plain) : swOfHex(r.hex)) ?? '';
  const wrapped = `<div class="col${r.sm ? ' wrapped' : ''}"><code>&gt;&gt; ${h(spaced(c?.hex ?? ''))}</code><code>&lt;&lt; ${h(spaced(r.hex))}</code>${plain ? '' : notes(book, r.note)}</div>`;
  const plainCol = plain
    ? `<div class="col plain"><code>&gt;&gt; ${h(spaced(c!.sm!.plain!))}</code><code>&lt;&lt; ${h(spaced(r.sm!.plain!))}</code>${notes(book, r.sm!.note)}</div>`
    : r.sm
      ? `<div class="col"><h4>secure messaging ${h(r.sm.status)}</h4><p>${h(r.sm.reason ?? '')}</p></div>`
      : '';
  return `<tr data-party="terminal card" data-command="${h(name)}" data-sw="${h(sw)}"><td class="t">${r.t.toFixed(1)}</td><td>terminal → card</td><td><details><summary>${r.sm ? '<span class="smtag" title="secure messaging">SM</span> ' : ''}${h(name)} <span class="sw ${sw === '9000' || sw.startsWith('61') ? 'ok' : 'bad'}">${h(swText(sw))}</span></summary><div class="sm">${wrapped}${plainCol}</div></details></td></tr>`;
}

/** A row for each entry of the timeline, card exchanges as one row (C with its R); filtered by the page's script. */
function rows(timeline: readonly TimelineEntry[], book: NoteBook): string[] {
  const out: string[] = [];
  let command: CardEntry | undefined;
  const row = (party: string, command: string, who: string, html: string, cls = '') =>
    `<tr data-party="${party}" data-command="${h(command)}"${cls ? ` class="${cls}"` : ''}><td class="t">${''}</td><td>${h(who)}</td><td>${html}</td></tr>`;
  for (const e of timeline) {
    const at = (html: string) => html.replace('<td class="t"></td>', `<td class="t">${e.t.toFixed(1)}</td>`);
    switch (e.kind) {
      case 'card':
        if (e.dir === 'C') command = e;
        else if (e.dir === 'R') {
          out.push(cardRow(book, command, e));
          command = undefined;
        } else out.push(at(row('card', e.note?.[0] ?? e.dir, 'card', `${h(e.dir === 'ATR' ? `ATR (${e.note?.[0] ?? 'power-on'}) ${spaced(e.hex)}` : (e.note ?? []).join(' '))}`, e.dir === 'EVENT' && e.note?.[0] === 'error' ? 'bad' : '')));
        break;
      case 'http': {
        const status = e.status !== undefined ? String(e.status) : `no response: ${e.error ?? ''}`;
        const bad = e.status === undefined || e.status >= 400;
        out.push(at(row(`${e.from} ${e.to}`, `${e.method} ${e.path}`, `${e.from} → ${e.to}`, `<details><summary>${h(e.method)} ${h(e.path)} <span class="sw ${bad ? 'bad' : 'ok'}">${h(status)}</span> (${e.ms ?? '?'} ms)${e.fault ? ` <span class="fault">⚡ ${h(e.fault)}</span>` : ''}</summary>${body(e.request)}${body(e.response)}</details>`)));
        break;
      }
      case 'progress':
        out.push(at(row('terminal', e.step, 'terminal', `<b>${h(e.step)}</b> ${h(e.title)} — ${h(e.status)}${e.detail ? `: ${h(e.detail)}` : ''}`, e.status === 'failed' ? 'bad marker' : 'marker')));
        break;
      case 'step':
        out.push(at(row('', e.step, 'scenario', `step ${e.index + 1} ${h(e.phase === 'start' ? `${e.step}: ${e.name}` : `${e.status} (${e.ms} ms)${e.detail ? `: ${e.detail}` : ''}${e.error ? `: ${e.error}` : ''}`)}`, `stepline${e.status === 'failed' ? ' bad' : ''}`)));
        break;
      case 'outbox':
        out.push(at(row('issuer provider', 'outbox', 'issuer outbox', `notification ${e.event === 'delivered' ? 'delivered' : 'not delivered, will retry'} (attempt ${e.attempt}${e.status ? `, ${e.status}` : ''})`)));
        break;
      case 'fault':
        out.push(at(row(e.target ?? '', 'fault', 'fault', `⚡ ${h(e.event)}: ${h(e.rule)}${e.path ? ` (${h(e.path)})` : ''}`, 'bad')));
        break;
      case 'restart':
        out.push(at(row('issuer provider', 'restart', 'servers', `⟳ ${h(e.what)}`)));
        break;
      case 'run':
        break;
    }
  }
  return out;
}

/** The trace viewer of one scenario: filters (party, command name, status word) above a table of the timeline. */
export function traceViewer(timeline: readonly TimelineEntry[], book: NoteBook): string {
  const r = rows(timeline, book);
  return `<div class="trace-viewer"><div class="filters"><label>party <select class="f-party"><option value="">all</option><option>card</option><option>terminal</option><option>issuer</option><option>provider</option></select></label> <label>command <input class="f-command" placeholder="e.g. LOAD, POST"></label> <label>status word <input class="f-sw" placeholder="e.g. 9000, 6A"></label> <span class="f-count">${r.length} entries</span></div><table class="trace"><thead><tr><th>ms</th><th>parties</th><th>what</th></tr></thead><tbody>${r.join('')}</tbody></table></div>`;
}
