import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fromHex } from '../../protocol/bytes.ts';
import { toAnnotatedText } from '../../reader-bridge/index.ts';
import { toJunitXml } from '../reporters/junit-reporter.ts';
import { writeTraceFiles } from '../reporters/trace-files.ts';
import { ConformUsageError } from './conform-readers.ts';
import type { ConformReport, HostKeys } from './run-conform.ts';

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** JUnit XML (one test case per path), through the scenario reporter. */
export function writeConformJunit(file: string, report: ConformReport): void {
  write(file, toJunitXml(report.results, 'cardlab conform'));
}

/** JSON: every path's result (without its trace) and the coverage, missing states and transitions named. */
export function writeConformJson(file: string, report: ConformReport): void {
  const results = report.results.map(({ trace: _t, ...r }) => r);
  write(file, `${JSON.stringify({ results, coverage: report.coverage, durationMs: Math.round(report.durationMs), skipReason: report.skipReason }, null, 2)}\n`);
}

/**
 * Each path's APDU trace (annotated text and JSON lines, as `cardlab run` writes them), and the whole run
 * as one annotated trace, `conform-run.trace.txt`: what `--reader replay:FILE` replays.
 */
export function writeConformTraces(dir: string, report: ConformReport): void {
  writeTraceFiles(dir, report.results);
  write(join(dir, 'conform-run.trace.txt'), toAnnotatedText(report.results.flatMap((r) => r.trace)));
}

/** `--keys FILE`: `{ "kvn": "30", "enc": "40…4F", "mac": "…", "dek": "…" }` (hex; AES-128, -192 or -256, one length). */
export function readHostKeys(file: string): HostKeys {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    // Never the parser's message: it quotes the file's text, which holds keys.
    throw new ConformUsageError(`--keys ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
  }
  const hex = (name: string): Uint8Array => {
    const v = json[name];
    if (typeof v !== 'string' || !/^([0-9A-Fa-f]{2})+$/.test(v)) throw new ConformUsageError(`--keys ${file}: "${name}" must be a hex string`);
    return fromHex(v);
  };
  const kvn = hex('kvn');
  const keys = { kvn: kvn[0]!, enc: hex('enc'), mac: hex('mac'), dek: hex('dek') };
  if (kvn.length !== 1) throw new ConformUsageError(`--keys ${file}: "kvn" is one byte`);
  if (![16, 24, 32].includes(keys.enc.length) || keys.mac.length !== keys.enc.length || keys.dek.length !== keys.enc.length) {
    throw new ConformUsageError(`--keys ${file}: enc, mac and dek are AES keys of one length (16, 24 or 32 bytes)`);
  }
  return keys;
}
