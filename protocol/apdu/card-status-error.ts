import { swHex, swMeaning } from './sw.ts';

/**
 * Thrown by a card-side handler to answer with a status word (the jCardSim ISOException pattern): the
 * dispatcher catches it in one place and turns it into `SW1 SW2` with no data. The message names the
 * SW and its meaning (reference §13) so a failing test explains itself.
 */
export class CardStatusError extends Error {
  override readonly name = 'CardStatusError';
  readonly sw: number;
  /** Why this card answered that SW, in the handler's words (not sent to the host). */
  readonly detail?: string;

  constructor(sw: number, detail?: string) {
    super(`${swHex(sw)} ${swMeaning(sw)}${detail ? `: ${detail}` : ''}`);
    this.sw = sw;
    if (detail !== undefined) this.detail = detail;
  }
}
