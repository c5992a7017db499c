import { createSimReader, openReaderBySpec, type Reader, type SimReader } from '../reader-bridge/index.ts';
import type { Card } from '../simulator/index.ts';
import { StepFailure } from './run-context.ts';
import { openVpcdReader } from './vpcd-port.ts';

/**
 * The reader a scenario talks through: `sim` (the scenario's card in process), `vpcd` (the same card
 * served over vpcd to this process's private pcscd and driven through PC/SC; see vpcd-port.ts),
 * `pcsc[:NAME]` (a real reader), `replay:FILE` (a recorded trace, relative to the scenario).
 */
export async function openScenarioReader(spec: string, card: Card, dir: string): Promise<Reader | SimReader> {
  if (spec === 'sim') return createSimReader(card);
  if (spec === 'vpcd') return openVpcdReader(card);
  const reader = await openReaderBySpec(spec, dir);
  if (!reader) throw new StepFailure(`reader ${spec} is not available here`);
  return reader;
}
