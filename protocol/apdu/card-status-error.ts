import { swHex, swMeaning } from './sw.ts';

/**
 * The base of an error thrown as control flow: an Error by its prototype (`instanceof Error` holds,
 * `toString()` gives `name: message`) whose construction walks no stack. Error's own constructor
 * always captures a stack trace, even with `Error.stackTraceLimit = 0` most of its cost remains, and
 * that was most of the cost of answering a refused command. `stack` reads `name: message`, which is
 * also what `console.log` and `util.inspect` print.
 */
const StacklessError = function StacklessError() {} as unknown as new () => { readonly stack: string };
Object.setPrototypeOf(StacklessError.prototype, Error.prototype);
Object.defineProperties(StacklessError.prototype, {
  stack: {
    get(this: Error) {
      return `${this.name}: ${this.message}`;
    },
    configurable: true,
  },
  [Symbol.for('nodejs.util.inspect.custom')]: {
    value(this: Error) {
      return this.stack;
    },
    configurable: true,
  },
});

/**
 * Thrown by a card-side handler to answer with a status word (the jCardSim ISOException pattern): the
 * dispatcher catches it in one place and turns it into `SW1 SW2` with no data. The message names the
 * SW and its meaning (reference §13) so a failing test explains itself; it is built when read, since
 * the card itself only ever reads `sw`.
 */
export class CardStatusError extends StacklessError {
  readonly sw: number;
  /** Why this card answered that SW, in the handler's words (not sent to the host). */
  readonly detail?: string;

  constructor(sw: number, detail?: string) {
    super();
    this.sw = sw;
    if (detail !== undefined) this.detail = detail;
  }

  get name(): string {
    return 'CardStatusError';
  }

  get message(): string {
    return `${swHex(this.sw)} ${swMeaning(this.sw)}${this.detail ? `: ${this.detail}` : ''}`;
  }
}
