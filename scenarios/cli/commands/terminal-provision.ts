import type { Command } from 'commander';
import { parseReaderSpec, parseSeed } from '../options.ts';
import { writeFileSync } from 'node:fs';
import type { TraceEntry } from '../../../reader-bridge/index.ts';

/**
 * `cardlab terminal provision --reader … --issuer URL --provider URL --service ID [--card F] [--trace F] [--json]`:
 * the seed's flow S1–S16; one progress line per step, or a JSON result. Exit 0 only when completed.
 */
export function registerTerminalProvision(program: Command): void {
  const terminal = program.command('terminal').description("the cardholder's terminal");
  terminal
    .command('provision')
    .description('run S1–S16: collate the card, select the service, have the card sign, relay the install, start the service')
    .requiredOption('--reader <reader>', 'sim, vpcd, pcsc[:NAME] or replay:FILE', parseReaderSpec)
    .option('--card <file>', 'card image for --reader sim (written through at every commit)')
    .option('--seed <n>', "seed of the simulated card's random source", parseSeed, 0)
    .requiredOption('--issuer <url>', 'issuer server URL')
    .requiredOption('--provider <url>', 'provider server URL')
    .requiredOption('--service <id>', 'service to provision')
    .option('--trace <file>', 'write the card-side APDU trace (.jsonl: JSON lines; otherwise annotated text)')
    .option('--json', 'print the result as JSON instead of progress lines')
    .action(async (o: { reader: string; card?: string; seed: number; issuer: string; provider: string; service: string; trace?: string; json?: boolean }) => {
      const { provision } = await import('../../../terminal/index.ts');
      const { toAnnotatedText, toJsonLines } = await import('../../../reader-bridge/index.ts');
      const { backCardWithImage } = await import('../../../simulator/index.ts');
      const { openReader } = await import('../../open-reader.ts');
      const { reader, card, cardFile } = await openReader(o.reader, { card: o.card, seed: o.seed });
      // The card's memory is its image: each commit is on disk before the card answers, so a terminal
      // killed mid-flow leaves the card as a real one pulled from the reader would be.
      if (card && cardFile) backCardWithImage(card, cardFile);
      const trace: TraceEntry[] = [];
      try {
        const result = await provision({
          reader,
          issuerUrl: o.issuer,
          providerUrl: o.provider,
          serviceId: o.service,
          trace,
          onProgress: o.json ? undefined : (p) => process.stdout.write(`${p.step.padEnd(3)} ${p.status === 'done' ? 'ok  ' : p.status === 'skipped' ? 'skip' : 'FAIL'} ${p.title}: ${p.detail}\n`),
        });
        if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(result.outcome === 'completed' ? 'provisioning completed\n' : `provisioning failed at ${result.error!.step}: ${result.error!.code}${result.error!.serverCode ? ` (${result.error!.serverCode})` : ''}\n`);
        process.exitCode = result.outcome === 'completed' ? 0 : 1;
      } finally {
        if (o.trace) writeFileSync(o.trace, o.trace.endsWith('.jsonl') ? toJsonLines(trace) : toAnnotatedText(trace));
        if (card && cardFile) {
          card.powerOff();
          card.saveImage(cardFile);
        }
        await reader.close();
      }
    });
}
