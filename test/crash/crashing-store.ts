import type { IssuerStore } from '../../servers/index.ts';

/** Store methods that only read (everything else counts as a write, so a new write method is covered without an edit here). */
const READ = /^(get|list|find|due|count|has|is|orderEvents|close)/;
/**
 * Housekeeping writes that also run on the outbox worker's timer (`expireOrders` fails orders past
 * their expiry, at every pass and at the start of install and SERAM requests): numbering them would
 * make the kill points depend on timing. In the campaign nothing expires (orders live minutes), so
 * a kill right before or after one is a kill at the neighbouring request or write.
 */
const TIMER_DRIVEN = /^expire/;

/** Is this `IssuerStore` method one of the flow's writes (one transaction that changes rows)? */
export function isWriteMethod(name: string): boolean {
  return !READ.test(name) && !TIMER_DRIVEN.test(name);
}

/**
 * The issuer store with every write numbered: `onWrite(n, method, 'before')` runs right before write
 * number n is called and `onWrite(n, method, 'after')` right after its transaction committed (a
 * failed write has no 'after'). A Proxy, so the store's own class and transactions are untouched;
 * methods run with the real store as `this` (its private fields are not reachable through a Proxy).
 */
export function numberedWrites(store: IssuerStore, onWrite: (n: number, method: string, when: 'before' | 'after') => void): IssuerStore {
  let count = 0;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = String(prop);
      if (!isWriteMethod(method)) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        const n = ++count;
        onWrite(n, method, 'before');
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        onWrite(n, method, 'after');
        return result;
      };
    },
  });
}
