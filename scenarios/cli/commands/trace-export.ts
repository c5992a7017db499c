import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A moment as ISO 8601 with a zone (`2026-11-30T08:00:00Z`), in ms since the Unix epoch. */
function parseStart(value: string): number {
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0) throw new InvalidArgumentError(`a start time is ISO 8601 with a zone after 1970, e.g. 2026-11-30T08:00:00Z, got '${value}'.`);
  return ms;
}

/**
 * `cardlab trace export --pcap FILE [TRACE]`: an APDU trace as cardlab writes it (`cardlab run --trace-dir`,
 * `terminal provision --trace`: JSON lines or annotated text; standard input without TRACE or with `-`) as a
 * pcap file for Wireshark: each answered exchange one GSMTAP (SIM) packet, command then response, which
 * Wireshark's GSM SIM dissector decodes (reader-bridge/trace/pcap.ts). Exit 0 written, 1 the trace cannot be
 * read, 2 usage (a missing trace file, a bad start time, an unwritable FILE).
 */
export function registerTraceExport(program: Command): void {
  program
    .command('trace')
    .description('APDU traces written by cardlab')
    .command('export')
    .description('write an APDU trace (JSON lines or annotated text) as a pcap of GSMTAP (SIM) packets for Wireshark')
    .argument('[trace]', "the trace file, relative to the working directory ('-' or none: standard input)")
    .requiredOption('--pcap <file>', 'the pcap file to write (folders made)')
    .option('--start <time>', 'the moment the trace began, ISO 8601 (default 1970-01-01T00:00:00Z: times since the trace began)', parseStart)
    .action(async (trace: string | undefined, opts: { pcap: string; start?: number }) => {
      const { parseTrace, toGsmtapPcap, gsmtapExchanges, TraceParseError } = await import('../../../reader-bridge/index.ts');
      const fromStdin = trace === undefined || trace === '-';
      if (!fromStdin && !existsSync(trace)) throw new Error(`no trace file ${trace}`);
      const name = fromStdin ? 'standard input' : trace;
      let entries;
      try {
        entries = parseTrace(readFileSync(fromStdin ? 0 : trace, 'utf8'));
      } catch (err) {
        if (!(err instanceof TraceParseError)) throw err;
        process.stderr.write(`cardlab: ${name}: ${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      const exchanges = gsmtapExchanges(entries).length;
      const unanswered = entries.filter((e, i) => e.dir === 'C' && entries[i + 1]?.dir !== 'R').length;
      try {
        mkdirSync(dirname(opts.pcap), { recursive: true });
        writeFileSync(opts.pcap, toGsmtapPcap(entries, { startMs: opts.start ?? 0 }));
      } catch (err) {
        throw new Error(`cannot write ${opts.pcap}: ${(err as Error).message}`);
      }
      const left = unanswered ? `; ${unanswered} command${unanswered === 1 ? '' : 's'} without an answer left out` : '';
      process.stdout.write(`wrote ${opts.pcap}: ${exchanges} exchange${exchanges === 1 ? '' : 's'} as GSMTAP (SIM) packets to UDP port 4729${left}\n`);
    });
}
