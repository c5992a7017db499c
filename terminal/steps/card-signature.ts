import { SW, swHex, swOf } from '../../protocol/apdu/index.ts';
import { buildComputeDigitalSignature, buildSelect } from '../../protocol/gp/commands/index.ts';
import type { CardIo } from '../card-io.ts';
import { TerminalError, type ProvisionStep } from '../terminal-error.ts';

/**
 * The card signs `message` with its own key: SELECT of the Issuer Security Domain, then PERFORM
 * SECURITY OPERATION [compute digital signature] (`00 2A 9E 9A`, ISO/IEC 7816-8 §11.4), chained
 * (ISO/IEC 7816-4 §5.3.3) when longer than one command. Answers the signature (r‖s).
 */
export async function cardSigns(card: CardIo, step: ProvisionStep, message: Uint8Array): Promise<Uint8Array> {
  await card.send(step, buildSelect());
  let signed: Uint8Array = new Uint8Array(0);
  for (const c of buildComputeDigitalSignature(message)) signed = await card.send(step, c);
  const sw = swOf(signed);
  if (sw !== SW.SUCCESS) throw new TerminalError(step, 'card', `PERFORM SECURITY OPERATION answered ${swHex(sw)}`, { sw: swHex(sw) });
  return signed.subarray(0, signed.length - 2);
}
