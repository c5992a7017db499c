import type { RandomSource } from '../../../protocol/crypto/index.ts';
import { SIGNATURE_HEADER, signBody, type Logger } from '../../http/index.ts';
import type { Clock } from '../../ids.ts';
import type { IssuerStore, OutboxRecord } from '../store/issuer-store.ts';

export interface OutboxWorkerOptions {
  store: IssuerStore;
  logger: Logger;
  clock: Clock;
  random: RandomSource;
  fetch?: typeof fetch;
  /** First retry delay; doubled per failed attempt up to `maxDelayMs`, with jitter (default 500 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How often an idle worker looks for due notifications (default 1 s). */
  pollMs?: number;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
  /** Attempts before a notification that keeps failing becomes a dead letter (default 12: ~20 minutes of backoff). */
  maxAttempts?: number;
  /** Test hook, called after the provider answered 2xx and before the delivery is recorded. */
  afterSend?: (record: OutboxRecord) => void | Promise<void>;
}

/**
 * Delivers provider notifications from the outbox (S15): each due row is POSTed to its provider
 * with `x-cardlab-signature: sha256=HMAC(secret, body)` and `idempotency-key: <notificationId>`;
 * a 2xx marks it delivered. A refusal the provider will give again (4xx but 408 and 429) makes it a
 * dead letter at once; a network error, 408, 429 or 5xx schedules a retry with exponential backoff
 * and jitter, and after `maxAttempts` the notification is a dead letter too. Dead letters are listed
 * by `GET /admin/notifications?state=dead` and re-queued by `POST /admin/notifications/{id}/retry`.
 * Each pass also fails install orders past their expiry.
 * Delivery is at least once (a crash between the provider's 2xx and the record re-sends it) and
 * the provider records each notificationId once — so exactly once in effect, across restarts.
 */
export class OutboxWorker {
  readonly #o: Required<Omit<OutboxWorkerOptions, 'afterSend' | 'fetch'>> & Pick<OutboxWorkerOptions, 'afterSend' | 'fetch'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  #again = false;
  /** Callers of `wake()` waiting for the pass that will include their notification. */
  #waiting: Array<() => void> = [];

  constructor(options: OutboxWorkerOptions) {
    this.#o = { baseDelayMs: 500, maxDelayMs: 60_000, pollMs: 1000, timeoutMs: 5000, maxAttempts: 12, ...options };
  }

  /** Starts polling; `wake()` runs a pass at once. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.wake();
  }

  /**
   * Runs a pass now (or right after the current one); resolves when that pass is over, so a caller
   * that just queued a notification knows it was attempted. Resolves at once when the worker is stopped.
   */
  wake(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const attempted = new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#running) {
      this.#again = true;
      return attempted;
    }
    clearTimeout(this.#timer);
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#running = this.runOnce()
      .catch((err: unknown) => this.#o.logger.error({ err }, 'outbox pass failed'))
      .finally(() => {
        this.#running = undefined;
        for (const resolve of waiting) resolve();
        if (this.#stopped) {
          for (const resolve of this.#waiting.splice(0)) resolve();
          return;
        }
        if (this.#again) {
          this.#again = false;
          void this.wake();
        } else {
          this.#timer = setTimeout(() => void this.wake(), this.#o.pollMs);
          this.#timer.unref();
        }
      });
    return attempted;
  }

  /** Stops polling and waits for a pass in flight to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One pass over the due notifications, oldest first. */
  async runOnce(): Promise<{ delivered: number; retried: number; dead: number }> {
    const now = this.#o.clock();
    const expired = await this.#o.store.expireOrders(Math.floor(now / 1000), now);
    if (expired.length > 0) this.#o.logger.info({ orders: expired.length }, 'expired install orders failed');
    const due = await this.#o.store.dueNotifications(now, 20);
    const counts = { delivered: 0, retried: 0, dead: 0 };
    for (const record of due) {
      const outcome = await this.#deliver(record);
      counts[outcome === 'delivered' ? 'delivered' : outcome === 'dead' ? 'dead' : 'retried']++;
    }
    return counts;
  }

  async #deliver(record: OutboxRecord): Promise<'delivered' | 'retry' | 'dead'> {
    const { store, logger, clock } = this.#o;
    const provider = await store.getProvider(record.providerId);
    let error: string;
    let permanent = false;
    if (!provider) error = `provider ${record.providerId} is gone`;
    else {
      let status: number | undefined;
      try {
        const response = await (this.#o.fetch ?? fetch)(provider.notificationUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(provider.hmacSecret, record.body), 'idempotency-key': record.id },
          body: record.body,
          signal: AbortSignal.timeout(this.#o.timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        status = response.status;
        error = `provider answered ${response.status}`;
        // RFC 9110 §15.5: a 4xx says the request itself is wrong and will be refused again; 408 and 429 are about timing.
        permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
      } catch (err) {
        error = (err as Error).message;
      }
      if (status !== undefined && status >= 200 && status < 300) {
        // Outside the try: a crash here (the hook, the process) must not count as a failed attempt.
        await this.#o.afterSend?.(record);
        await store.markNotificationDelivered(record.id, clock());
        logger.info({ notificationId: record.id, orderId: record.orderId, attempts: record.attempts + 1 }, 'provider notified');
        return 'delivered';
      }
    }
    const attempts = record.attempts + 1;
    if (permanent || attempts >= this.#o.maxAttempts) {
      await store.markNotificationDead(record.id, { attempts, at: clock(), error });
      logger.error({ notificationId: record.id, orderId: record.orderId, attempts, error }, 'provider notification is a dead letter');
      return 'dead';
    }
    const backoff = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempts - 1));
    // Full jitter between half and all of the backoff, so retries of many rows spread out.
    const jitter = 0.5 + (this.#o.random.bytes(1)[0]! / 255) * 0.5;
    await store.markNotificationAttempt(record.id, { attempts, nextAttemptAt: clock() + Math.round(backoff * jitter), error });
    logger.warn({ notificationId: record.id, attempts, error }, 'provider notification failed; will retry');
    return 'retry';
  }
}
