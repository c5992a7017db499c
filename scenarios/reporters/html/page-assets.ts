/** The report's style sheet, inline (the page fetches nothing). */
export const PAGE_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #ddd}
main{padding:8px 24px}
h1{margin:0 0 8px;font-size:20px}h2{font-size:16px;margin:0 0 4px}
.dim{color:#777;font-size:12px}
.summary{display:flex;gap:8px;flex-wrap:wrap}
.summary .card{border:1px solid #ddd;border-radius:6px;padding:6px 12px;background:#fff}
.card.passed b{color:#1a7f37}.card.failed b{color:#cf222e}.card.skipped b{color:#9a6700}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:11px;text-transform:uppercase;color:#fff;background:#888}
.badge.passed{background:#1a7f37}.badge.failed,.badge.error{background:#cf222e}.badge.skipped,.badge.not-run{background:#9a6700}
table.index{border-collapse:collapse;margin-top:8px}table.index td{padding:1px 8px}
.num{text-align:right}
section.scenario{background:#fff;border:1px solid #ddd;border-left:4px solid #1a7f37;border-radius:6px;margin:12px 0;padding:10px 14px}
section.failed,section.error{border-left-color:#cf222e}section.skipped{border-left-color:#9a6700}
ol.steps{padding-left:24px}li.step.failed>details>summary{color:#cf222e;font-weight:600}
p.error,.bad{color:#cf222e}.fault{color:#bc4c00}
table.failure{border-collapse:collapse;margin:4px 0}table.failure th{text-align:left;vertical-align:top;padding:2px 8px;color:#555}
code{font:12px ui-monospace,monospace;display:block;word-break:break-all}
pre{font:11px ui-monospace,monospace;margin:2px 0;white-space:pre-wrap;background:#f6f8fa;padding:4px}
.svg-wrap{overflow:auto;max-height:640px;border:1px solid #eee}
svg.seq text{font:11px system-ui,sans-serif}
svg.seq .lane{stroke:#bbb;stroke-dasharray:3 3}svg.seq .lane-head{fill:#eef2f7;stroke:#99a}svg.seq .lane-name{text-anchor:middle;font-weight:600}
svg.seq .msg line{stroke:#555;marker-end:url(#arrow)}svg.seq .msg.reply line{stroke-dasharray:4 3}svg.seq .msg text{text-anchor:middle;fill:#333}
svg.seq .msg.failed line{stroke:#cf222e}svg.seq .msg.failed text{fill:#cf222e}svg.seq .msg.faulted line{stroke:#bc4c00;stroke-width:2}
svg.seq .marker line{stroke:#0969da;stroke-dasharray:1 3}svg.seq .marker text{fill:#0969da;font-weight:600}
svg.seq .marker.failed line,svg.seq .marker.failed text{stroke:#cf222e;fill:#cf222e}
svg.seq .step-mark rect{fill:#f3f3f3}svg.seq .step-mark text{fill:#555}svg.seq .step-mark.failed rect{fill:#ffebe9}
svg.seq .fault text{fill:#bc4c00;font-weight:600}svg.seq .restart line{stroke:#8250df;stroke-width:2}svg.seq .restart text{fill:#8250df;text-anchor:middle}
.filters{margin:6px 0}.filters input{width:120px}
table.trace{border-collapse:collapse;width:100%}table.trace td,table.trace th{border-bottom:1px solid #eee;padding:2px 6px;vertical-align:top;text-align:left}
td.t{color:#777;text-align:right;white-space:nowrap;width:60px}
tr.marker td{background:#ddf4ff}tr.stepline td{background:#f6f6f6}
.smtag{font-size:10px;border:1px solid #8250df;color:#8250df;border-radius:3px;padding:0 3px}
.sw.ok{color:#1a7f37}.sw.bad{color:#cf222e}
.sm{display:flex;gap:12px}.sm .col{flex:1;min-width:0}.sm .col.plain{background:#f0fff4}.sm h4,.sm .col.wrapped::before,.sm .col.plain::before{display:block;margin:2px 0;font-size:12px;font-weight:600}.sm .col.wrapped::before{content:'wrapped (on the wire)'}.sm .col.plain::before{content:'plain (verified with the session keys)'}
`;

/** The report's script, inline: the annotations put back from the page's note book, the trace viewer's filters. */
export const PAGE_SCRIPT = `
const book = JSON.parse(document.getElementById('notebook').textContent);
for (const pre of document.querySelectorAll('pre[data-n]')) pre.textContent = book[Number(pre.dataset.n)];
for (const viewer of document.querySelectorAll('.trace-viewer')) {
  const party = viewer.querySelector('.f-party');
  const command = viewer.querySelector('.f-command');
  const sw = viewer.querySelector('.f-sw');
  const count = viewer.querySelector('.f-count');
  const rows = [...viewer.querySelectorAll('tbody tr')];
  const apply = () => {
    const p = party.value, c = command.value.trim().toLowerCase(), s = sw.value.trim().toUpperCase();
    let shown = 0;
    for (const row of rows) {
      const ok = (!p || (row.dataset.party || '').split(' ').includes(p))
        && (!c || (row.dataset.command || '').toLowerCase().includes(c))
        && (!s || (row.dataset.sw || '').startsWith(s));
      row.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + ' of ' + rows.length + ' entries';
  };
  for (const input of [party, command, sw]) input.addEventListener('input', apply);
}
`;
