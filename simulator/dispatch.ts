import type { CommandApdu } from '../protocol/apdu/index.ts';
import type { CardRuntime } from './card-runtime.ts';
import type { CardTag } from './card-setup.ts';

/** What a handler answers: response data (plain, before secure messaging) and the status word. */
export interface CardResponse {
  data: Uint8Array;
  sw: number;
}

export interface CommandContext {
  card: CardRuntime;
  /** The plain command (already unwrapped when it arrived under secure messaging; chains assembled). */
  apdu: CommandApdu;
  /** True when the command arrived with secure messaging (C-MAC) in an authenticated session. */
  secured: boolean;
}

/**
 * What must hold before a handler runs, checked by the card in this order, each with its status word:
 * - `endsSession`: the command first ends the current channel's secure channel session (INITIALIZE UPDATE);
 * - `cla`: `'iso'` (CLA 0x–3x, interindustry) or `'gp'` (CLA 8x–Ex, proprietary) — 6E00 otherwise (GPCS 11.1.4);
 * - `session`: `'authenticated'` needs an authenticated secure channel on the channel (6982);
 *   `'content'` also the ISD's content-management level and secure messaging when it is above 00
 *   (GPCS Table 11-2; 6982);
 * - `lifeCycle`: a card life-cycle permission tag (`may.manage`, `may.authenticate`; 6985, GPCS 5.1.1).
 */
export interface Preconditions {
  endsSession?: boolean;
  cla?: 'iso' | 'gp';
  session?: 'authenticated' | 'content';
  lifeCycle?: Extract<CardTag, 'may.manage' | 'may.authenticate'>;
}

/**
 * A card-side command handler. `readOnly` handlers change no state (persistent or session): the card may
 * answer them with 6Cxx on a wrong Le, since the host's resend gives the same answer.
 */
export interface CommandHandler {
  name: string;
  ins: number;
  readOnly?: boolean;
  /** Accepts ISO command chaining (CLA b5): the card assembles the chain and calls `handle` once with all the data. */
  chaining?: boolean;
  /** Checked by the card before `handle` runs (see Preconditions). */
  requires?: Preconditions;
  handle(ctx: CommandContext): CardResponse;
}

/** An override placed in front of the handlers (fault injection, tests): msw's `use()` pattern. */
export interface DispatchOverride {
  name?: string;
  match(apdu: CommandApdu, card: CardRuntime): boolean;
  /** Answer, or call `next()` to let the normal handler answer (and possibly alter its answer). */
  handle(ctx: CommandContext, next: () => CardResponse): CardResponse;
  /** Fire at most once, then remove itself. */
  once?: boolean;
}

/** One 256-entry table per handler list, shared by every card using that list (2 KB a card otherwise). */
const TABLES = new WeakMap<CommandHandler[], ReadonlyArray<CommandHandler | undefined>>();
function tableFor(handlers: CommandHandler[]): ReadonlyArray<CommandHandler | undefined> {
  let table = TABLES.get(handlers);
  if (!table) {
    const t = new Array<CommandHandler | undefined>(256).fill(undefined);
    for (const h of handlers) t[h.ins] = h;
    table = Object.freeze(t);
    TABLES.set(handlers, table);
  }
  return table;
}

/**
 * Ordered command dispatch: overrides first (most recently `use()`d first), then the handler registered
 * for the INS. Handlers are looked up in a 256-entry table so the hot path costs one array read.
 */
export class Dispatcher {
  private readonly table: ReadonlyArray<CommandHandler | undefined>;
  private overrides: DispatchOverride[] = [];

  constructor(handlers: CommandHandler[]) {
    this.table = tableFor(handlers);
  }

  /** The handler for an INS, if the card implements it. */
  handlerFor(ins: number): CommandHandler | undefined {
    return this.table[ins];
  }

  /** Prepends overrides; they take precedence over earlier ones and over the handlers. */
  use(...overrides: DispatchOverride[]): void {
    this.overrides = [...overrides, ...this.overrides];
  }

  /** Removes every override. */
  resetOverrides(): void {
    this.overrides = [];
  }

  get overrideCount(): number {
    return this.overrides.length;
  }

  dispatch(ctx: CommandContext, base: () => CardResponse): CardResponse {
    if (this.overrides.length === 0) return base();
    return this.run(ctx, 0, base);
  }

  private run(ctx: CommandContext, from: number, base: () => CardResponse): CardResponse {
    for (let i = from; i < this.overrides.length; i++) {
      const o = this.overrides[i]!;
      if (!o.match(ctx.apdu, ctx.card)) continue;
      if (o.once) this.overrides = this.overrides.filter((x) => x !== o);
      const nextIndex = o.once ? i : i + 1;
      return o.handle(ctx, () => this.run(ctx, nextIndex, base));
    }
    return base();
  }
}
