import { PARTIES, type Party } from '../../timeline/index.ts';
import type { DiagramEvent } from './diagram-model.ts';
import { escapeHtml } from './escape.ts';

const ROW = 20;
const MARGIN = 210;
const LANE = 190;
const TOP = 44;
const LABEL_MAX = 34;

const laneX = (p: Party) => MARGIN + LANE / 2 + PARTIES.indexOf(p) * LANE;
const short = (s: string, n = LABEL_MAX) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * A sequence diagram of card, terminal, issuer and provider as an SVG element: one lane per party
 * (`data-lane`), a row per message (folded runs of one card command as `×n`), the S1–S16 markers
 * (`data-s-marker`) and steps in the left margin, faults (`data-fault`) and restarts across the lanes.
 */
export function sequenceSvg(events: readonly DiagramEvent[]): string {
  const width = MARGIN + LANE * PARTIES.length;
  const height = TOP + events.length * ROW + 16;
  const out: string[] = [];
  out.push(`<svg class="seq" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="sequence diagram">`);
  for (const p of PARTIES) {
    const x = laneX(p);
    out.push(`<g data-lane="${p}"><rect x="${x - 60}" y="4" width="120" height="24" rx="4" class="lane-head"/><text x="${x}" y="21" class="lane-name">${p}</text><line x1="${x}" y1="28" x2="${x}" y2="${height - 4}" class="lane"/></g>`);
  }
  events.forEach((e, i) => {
    const y = TOP + i * ROW + ROW / 2;
    switch (e.kind) {
      case 'message': {
        const x1 = laneX(e.from);
        const x2 = laneX(e.to);
        const cls = ['msg', e.reply ? 'reply' : '', e.failed ? 'failed' : '', e.fault ? 'faulted' : '', e.secure ? 'secure' : ''].filter(Boolean).join(' ');
        const mid = (x1 + x2) / 2;
        const label = e.label + (e.secure && !e.reply ? ' (SM)' : '');
        const title = e.fault ? `${e.label} — ${e.fault}` : label.length > LABEL_MAX ? e.label : '';
        out.push(`<g class="${cls}">${title ? `<title>${escapeHtml(title)}</title>` : ''}<line x1="${x1}" y1="${y + 4}" x2="${x2 + (x2 > x1 ? -3 : 3)}" y2="${y + 4}"/><text x="${mid}" y="${y}">${escapeHtml(short(label))}</text></g>`);
        break;
      }
      case 'marker':
        out.push(`<g class="marker${e.failed ? ' failed' : ''}" data-s-marker="${e.step}"><line x1="4" y1="${y + 4}" x2="${width - 4}" y2="${y + 4}"/><text x="6" y="${y}">${escapeHtml(short(e.label, 36))}</text></g>`);
        break;
      case 'step':
        out.push(`<g class="step-mark${e.failed ? ' failed' : ''}"><rect x="2" y="${y - 9}" width="${width - 4}" height="${ROW - 2}"/><text x="6" y="${y + 4}">${escapeHtml(short(e.label, 100))}</text></g>`);
        break;
      case 'fault': {
        const x = e.party ? laneX(e.party) : MARGIN + 10;
        out.push(`<g class="fault" data-fault=""><title>${escapeHtml(e.label)}</title><text x="${x}" y="${y + 4}">⚡ ${escapeHtml(short(e.label, 60))}</text></g>`);
        break;
      }
      case 'restart':
        out.push(`<g class="restart"><line x1="${laneX('issuer') - 70}" y1="${y}" x2="${laneX('provider') + 70}" y2="${y}"/><text x="${laneX('issuer')}" y="${y + 4}">⟳ ${escapeHtml(e.label)}</text></g>`);
        break;
    }
  });
  out.push('</svg>');
  return out.join('');
}

/** The arrow head the diagrams share (one `<defs>` per page). */
export const SVG_DEFS = '<svg width="0" height="0" style="position:absolute"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs></svg>';
