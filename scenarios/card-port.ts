import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createPcscReader, createReplayReader, createSimReader, type Reader, type SimReader } from '../reader-bridge/index.ts';
import type { Card } from '../simulator/index.ts';
import { StepFailure } from './run-context.ts';
import { openVpcdReader } from './vpcd-port.ts';

/**
 * The reader a scenario talks through: `sim` (the scenario's card in process), `vpcd` (the same card
 * served over vpcd to this process's private pcscd and driven through PC/SC; see vpcd-port.ts),
 * `pcsc:NAME` (a real reader), `replay:FILE` (a recorded trace).
 */
export async function openScenarioReader(spec: string, card: Card, dir: string): Promise<Reader | SimReader> {
  if (spec === 'sim') return createSimReader(card);
  if (spec === 'vpcd') return openVpcdReader(card);
  if (spec.startsWith('pcsc')) return createPcscReader(spec.length > 5 ? { reader: spec.slice(5) } : {});
  if (spec.startsWith('replay:')) return createReplayReader(readFileSync(resolve(dir, spec.slice(7)), 'utf8'));
  throw new StepFailure(`reader ${spec} is not available here`);
}
