/** The HTML report: one self-contained page of a run (no network), and the sequence-diagram rows it shares with Mermaid. */
export { renderHtmlReport, type HtmlReportInput } from './report-page.ts';
export { loadResultsWithTimelines } from './load-results.ts';
export { diagramEvents, type DiagramEvent } from './diagram-model.ts';
export { sequenceSvg } from './sequence-svg.ts';
