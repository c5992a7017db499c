import { fromHex } from '../../../protocol/bytes.ts';
import { describeCommand, describeResponse } from '../../../protocol/describe.ts';
import type { ResultsReport, ScenarioReport } from '../results-json.ts';
import type { TimelineEntry } from '../../timeline/index.ts';
import { diagramEvents } from './diagram-model.ts';
import { escapeHtml as h } from './escape.ts';
import { PAGE_CSS, PAGE_SCRIPT } from './page-assets.ts';
import { SVG_DEFS, sequenceSvg } from './sequence-svg.ts';
import { NoteBook, swText, traceViewer } from './trace-viewer.ts';

/** What the HTML report shows: the run's results (as results.json has them), each scenario's timeline if any, and how the run was asked for. */
export interface HtmlReportInput {
  results: ResultsReport;
  /** Per result, in order: its timeline (undefined when there is none, e.g. a scenario that could not be loaded). */
  timelines: ReadonlyArray<readonly TimelineEntry[] | undefined>;
  /** The run's `--seed` and `--reader`, when given (else each scenario's own). */
  seed?: number;
  reader?: string;
}

type StepReport = ScenarioReport['steps'][number];

const STATUS_WORD = /\b(6[1-9A-F][0-9A-F]{2}|9000)\b/g;

/** Sent, received, expected and the status word's meaning of a failing step. */
function failingStepDetail(s: StepReport): string {
  const parts: string[] = [`<p class="error">${h(s.error ?? '')}</p>`];
  const c = s.context;
  const apdu = (hex: string) => {
    try {
      return fromHex(hex.replace(/\s+/g, ''));
    } catch {
      return undefined;
    }
  };
  const command = c?.command ? apdu(c.command) : undefined;
  const response = c?.response ? apdu(c.response) : undefined;
  const rows: string[] = [];
  if (c?.command) rows.push(`<tr><th>sent</th><td><code>${h(c.command)}</code>${command ? `<pre class="notes">${h(safe(() => describeCommand(command)).join('\n'))}</pre>` : ''}</td></tr>`);
  if (c?.response) rows.push(`<tr><th>received</th><td><code>${h(c.response)}</code>${response ? `<pre class="notes">${h(safe(() => describeResponse(response, command)).join('\n'))}</pre>` : ''}</td></tr>`);
  const expected = /expected (.*)$/.exec(s.error ?? '')?.[1];
  if (expected) rows.push(`<tr><th>expected</th><td>${h(expected)}</td></tr>`);
  const sws = response && response.length >= 2 ? [c!.response!.replace(/\s+/g, '').slice(-4).toUpperCase()] : [...new Set((s.error ?? '').match(STATUS_WORD) ?? [])];
  for (const sw of sws) rows.push(`<tr><th>status word</th><td class="sw-meaning">${h(swText(sw))}</td></tr>`);
  if (c?.notes?.length) rows.push(`<tr><th>notes</th><td><pre class="notes">${h(c.notes.join('\n'))}</pre></td></tr>`);
  if (rows.length) parts.push(`<table class="failure">${rows.join('')}</table>`);
  return parts.join('');
}

function safe(f: () => string[]): string[] {
  try {
    return f();
  } catch (err) {
    return [`(not decoded: ${(err as Error).message})`];
  }
}

function stepList(steps: readonly StepReport[]): string {
  const items = steps.map((s) => {
    const failed = s.status === 'failed';
    const body = failed ? failingStepDetail(s) : s.detail ? `<p>${h(s.detail)}</p>` : '';
    return `<li class="step ${s.status}" data-step="${s.index}"><details${failed ? ' open' : ''}><summary><span class="badge ${s.status}">${s.status}</span> ${h(s.name)} <span class="dim">${s.kind}${s.line ? `, line ${s.line}` : ''}, ${s.durationMs} ms</span></summary>${body}</details></li>`;
  });
  return `<ol class="steps">${items.join('')}</ol>`;
}

function scenarioSection(r: ScenarioReport, i: number, timeline: readonly TimelineEntry[] | undefined, book: NoteBook): string {
  const faulted = timeline?.some((e) => e.kind === 'fault') ?? false;
  const head = `<h2><span class="badge ${r.status}">${r.status}</span> ${h(r.name)}${faulted ? ' <span class="fault">⚡ faults</span>' : ''}</h2><p class="dim">${h(r.file)} · seed ${r.seed} · ${r.durationMs} ms${r.tags.length ? ` · ${h(r.tags.join(', '))}` : ''}</p>`;
  const why = r.skipReason ? `<p class="skip">${h(r.skipReason)}</p>` : r.failure && r.failure.step === undefined ? `<p class="error">${h(r.failure.message)}</p>` : '';
  const open = r.status === 'failed' || r.status === 'error' || faulted;
  const diagram = timeline ? `<details class="diagram"${open ? ' open' : ''}><summary>sequence diagram</summary><div class="svg-wrap">${sequenceSvg(diagramEvents(timeline))}</div></details>` : '';
  const trace = timeline ? `<details class="trace-box"${open ? ' open' : ''}><summary>trace (${timeline.length} entries)</summary>${traceViewer(timeline, book)}</details>` : '';
  return `<section class="scenario ${r.status}" id="s${i}" data-status="${r.status}"${faulted ? ' data-faulted=""' : ''}>${head}${why}${stepList(r.steps)}${diagram}${trace}</section>`;
}

/**
 * The run as one self-contained HTML page (inline CSS, script and SVG; nothing fetched): the summary
 * (passed, failed, skipped, durations, seed, reader), then per scenario its steps (the failing one open:
 * sent, received, expected and the status word's meaning), a sequence diagram of card, terminal, issuer
 * and provider with S1–S16 and faults, and a trace viewer filtered by party, command and status word,
 * secure messaging plain beside the wrapped bytes.
 */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { results } = input;
  const s = results.summary;
  const seeds = [...new Set(results.results.map((r) => r.seed))];
  const index = results.results.map((r, i) => `<tr class="${r.status}"><td><span class="badge ${r.status}">${r.status}</span></td><td><a href="#s${i}">${h(r.name)}</a></td><td class="num">${r.durationMs} ms</td></tr>`).join('');
  const summary = `<div class="summary"><div class="card total"><b>${s.total}</b> scenarios</div><div class="card passed"><b>${s.passed}</b> passed</div><div class="card failed"><b>${s.failed}</b> failed${s.errors ? ` (${s.errors} errors)` : ''}</div><div class="card skipped"><b>${s.skipped}</b> skipped</div><div class="card"><b>${(s.durationMs / 1000).toFixed(1)} s</b> run</div></div>
<p class="dim">started ${h(results.startedAt)} · finished ${h(results.finishedAt)} · ${h(results.hostname)} · seed ${input.seed !== undefined ? input.seed : seeds.length === 1 ? seeds[0] : 'per scenario'} · reader ${h(input.reader ?? "each scenario's own (sim unless it says otherwise)")}</p>`;
  const book = new NoteBook();
  const sections = results.results.map((r, i) => scenarioSection(r, i, input.timelines[i], book)).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"><title>cardlab report: ${s.passed}/${s.total} passed</title><style>${PAGE_CSS}</style></head>
<body>${SVG_DEFS}<header><h1>cardlab run</h1>${summary}<table class="index">${index}</table></header>
<main>${sections}</main><script type="application/json" id="notebook">${book.toJson()}</script><script>${PAGE_SCRIPT}</script></body></html>
`;
}
