import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createPcscReader, createReplayReader, createSimReader, type Reader, type SimReader } from '../reader-bridge/index.ts';
import type { Card } from '../simulator/index.ts';
import { StepFailure } from './run-context.ts';

/**
 * The reader a scenario talks through: `sim` (the scenario's card in process), `pcsc:NAME` (a real
 * reader), `replay:FILE` (a recorded trace); `vpcd` is served by the vpcd environment.
 */
export async function openScenarioReader(spec: string, card: Card, dir: string): Promise<Reader | SimReader> {
  if (spec === 'sim') return createSimReader(card);
  if (spec.startsWith('pcsc')) return createPcscReader(spec.length > 5 ? { reader: spec.slice(5) } : {});
  if (spec.startsWith('replay:')) return createReplayReader(readFileSync(resolve(dir, spec.slice(7)), 'utf8'));
  throw new StepFailure(`reader ${spec} is not available here`);
}
