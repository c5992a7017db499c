import type { ScenarioResult } from '../run-scenario.ts';

function xml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

/**
 * JUnit XML: one testsuite, one testcase per scenario (classname = file, name = scenario name). A
 * failure carries the first failing step and its APDU context (sent, received, annotations); a scenario
 * this machine cannot run (`skipped`) carries `<skipped message="why, and what to install"/>`.
 */
export function toJunitXml(results: ScenarioResult[], suiteName = 'cardlab scenarios'): string {
  const failures = results.filter((r) => r.status === 'failed').length;
  const errors = results.filter((r) => r.status === 'error').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const time = results.reduce((t, r) => t + r.durationMs, 0) / 1000;
  const cases = results.map((r) => {
    const head = `  <testcase classname="${xml(r.file)}" name="${xml(r.name)}" time="${(r.durationMs / 1000).toFixed(3)}">`;
    if (r.status === 'passed') return `${head}</testcase>`;
    if (r.status === 'skipped') return `${head}\n    <skipped message="${xml(r.skipReason ?? 'skipped')}"/>\n  </testcase>`;
    const f = r.failure;
    const ctx = f?.context;
    const body = [f?.message ?? 'failed', ctx?.command ? `sent:     ${ctx.command}` : '', ctx?.response ? `received: ${ctx.response}` : '', ...(ctx?.notes ?? []).map((n) => `# ${n}`)]
      .filter(Boolean)
      .join('\n');
    const tag = r.status === 'error' ? 'error' : 'failure';
    return `${head}\n    <${tag} message="${xml(f?.message ?? 'failed')}" type="${tag}">${xml(body)}</${tag}>\n  </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suiteName)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}">`,
    `<testsuite name="${xml(suiteName)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}">`,
    ...cases,
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
