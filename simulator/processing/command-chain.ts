import { SW, type CommandApdu } from '../../protocol/apdu/index.ts';
import { concat } from '../../protocol/bytes.ts';
import type { CardRuntime } from '../card-runtime.ts';
import type { CommandHandler } from '../dispatch.ts';

/**
 * ISO 7816-4 §5.3.3 command chaining on the command's channel: commands with CLA b5 set are collected
 * (answered 9000) until the last one; the handler then sees one command with all the data. Only handlers
 * that declare `chaining` accept it (6884 otherwise); a chain broken by another command is 6883; a chain
 * above the card's buffer is 6700. The machine holds the chain (`chaining` region, CHAIN_* events).
 */
export function assembleChain(card: CardRuntime, apdu: CommandApdu, handler: CommandHandler | undefined): CommandApdu | 'intermediate' | number {
  const more = (apdu.cla & 0x10) !== 0;
  const collecting = card.hasTag('chain.collecting');
  if (!more && !collecting) return apdu;
  const channel = card.channel;
  const chain = collecting ? card.chainOnChannel() : undefined;
  if (chain && (chain.ins !== apdu.ins || chain.p1 !== apdu.p1 || chain.p2 !== apdu.p2)) {
    card.send({ type: 'CHAIN_BROKEN', channel });
    return SW.LAST_COMMAND_EXPECTED;
  }
  if (!handler?.chaining) {
    if (collecting) card.send({ type: 'CHAIN_BROKEN', channel });
    return SW.COMMAND_CHAINING_NOT_SUPPORTED;
  }
  const part = { type: 'CHAIN_PART', channel, ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data: apdu.data.slice() } as const;
  if (!card.can(part)) {
    if (collecting) card.send({ type: 'CHAIN_BROKEN', channel });
    return SW.WRONG_LENGTH;
  }
  card.send(part);
  if (more) return 'intermediate';
  const all = concat(...card.chainOnChannel()!.data);
  card.send({ type: 'CHAIN_LAST', channel });
  return { ...apdu, cla: apdu.cla & ~0x10, data: all };
}
