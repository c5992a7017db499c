import type { ScenarioResult } from '../run-scenario.ts';

export interface ConsoleReporter {
  started(total: number): void;
  finished(result: ScenarioResult): void;
  summary(results: ScenarioResult[], wallMs: number): void;
}

const MARK: Record<ScenarioResult['status'], string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', skipped: 'SKIP' };

/**
 * Progress and summary on a stream: a progress bar redrawn in place on a TTY, one line per scenario
 * otherwise (CI logs). Failures are always printed in full: the step, what was sent and received,
 * what was expected, the status word's meaning.
 */
export function createConsoleReporter(out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout, options: { noun?: string } = {}): ConsoleReporter {
  const noun = options.noun ?? 'scenarios';
  let total = 0;
  let done = 0;
  const tty = out.isTTY === true;
  const bar = () => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : 0;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  };
  const detail = (r: ScenarioResult) => {
    const lines = [`  ${r.failure?.message ?? 'failed'}`];
    if (r.failure?.context?.command) lines.push(`    sent:     ${r.failure.context.command}`);
    if (r.failure?.context?.response) lines.push(`    received: ${r.failure.context.response}`);
    for (const n of r.failure?.context?.notes ?? []) lines.push(`    # ${n}`);
    return lines.join('\n');
  };
  return {
    started(n) {
      total = n;
      if (tty) out.write(`${bar()}\r`);
    },
    finished(r) {
      done++;
      const more = r.status === 'passed' ? '' : r.status === 'skipped' ? `\n  ${r.skipReason}` : `\n${detail(r)}`;
      const line = `${MARK[r.status]} ${r.name} (${r.durationMs} ms)${more}`;
      if (tty) out.write(`\x1b[2K${line}\n${bar()}\r`);
      else out.write(`${line}\n`);
    },
    summary(results, wallMs) {
      if (tty) out.write('\x1b[2K');
      const passed = results.filter((r) => r.status === 'passed').length;
      const failed = results.filter((r) => r.status === 'failed').length;
      const errors = results.filter((r) => r.status === 'error').length;
      const skipped = results.filter((r) => r.status === 'skipped').length;
      out.write(`\n${results.length} ${noun}: ${passed} passed, ${failed} failed${errors ? `, ${errors} could not run` : ''}${skipped ? `, ${skipped} skipped (missing on this machine)` : ''} in ${(wallMs / 1000).toFixed(1)} s\n`);
    },
  };
}
