import type { Logger } from 'winston';
import { startAtZero } from '../observability/metrics.js';
import { backoffDelay } from '../pipeline/backoff.js';
import type { AlertMetrics } from './alert-metrics.js';
import type { DropLog } from './drop-log.js';
import type { HttpEndpoint } from './http-endpoint.js';

export interface RetryPolicy {
  readonly minMs: number;
  readonly maxMs: number;
  /** An item still undelivered this long after it was queued is dropped (`expired`). */
  readonly giveUpAfterMs: number;
}

export interface AlertQueueOptions<T> {
  /** `alertmanager` or `webhook`: the metrics label. */
  readonly receiver: string;
  readonly endpoint: HttpEndpoint;
  /** Items waiting at most; more are dropped (`queue_full`), never waited for. */
  readonly capacity: number;
  /** Items per POST. */
  readonly maxBatch: number;
  /** The request body for a batch. */
  readonly bodyOf: (items: readonly T[]) => unknown;
  /** When given, an item replaces a waiting one with the same key (the newer state of one alert). */
  readonly keyOf?: (item: T) => string;
  readonly retry: RetryPolicy;
  readonly metrics: AlertMetrics;
  readonly drops: DropLog;
  readonly logger: Logger;
}

/** Where notifiers put what they send: an AlertQueue, one per receiver URL. */
export interface AlertSink<T> {
  add(item: T): void;
}

interface Entry<T> {
  item: T;
  queuedAt: number;
}

/**
 * A bounded queue in front of one alert receiver. `add` never waits: it queues or drops and
 * returns, so the shipping path is never held up by a slow or absent receiver. A sender loop
 * POSTs batches in order, retries failures with capped exponential backoff, and drops what the
 * receiver refuses (4xx) or what stays undelivered too long.
 */
export class AlertQueue<T> implements AlertSink<T> {
  private pending = new Map<string, Entry<T>>();
  private sequence = 0;
  private sending = false;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  /**
   * Whether the last POST got an answer; a stop only waits on a receiver that has answered, so one
   * that is down or never answers (a black hole) costs the stop nothing.
   */
  private answering = false;
  private stopping = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: AlertQueueOptions<T>) {
    const receiver = [{ receiver: options.receiver }];
    startAtZero(options.metrics.sent, receiver);
    startAtZero(options.metrics.failedPosts, receiver);
  }

  get size(): number {
    return this.pending.size;
  }

  add(item: T): void {
    const { keyOf, capacity, drops, receiver } = this.options;
    const key = keyOf ? keyOf(item) : String(this.sequence++);
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.item = item;
    } else if (this.stopping) {
      drops.drop('shutdown', 1, `${receiver} ${this.options.endpoint.displayUrl}: the agent is stopping`);
      return;
    } else if (this.pending.size >= capacity) {
      drops.drop('queue_full', 1, `${receiver} ${this.options.endpoint.displayUrl}: ${capacity} waiting`);
      return;
    } else {
      this.pending.set(key, { item, queuedAt: Date.now() });
    }
    this.updateGauge();
    this.pump();
  }

  /**
   * Sends what is waiting for at most `timeoutMs` if the receiver answers, then drops the rest
   * (`shutdown`) and closes the connections. A receiver that is down costs the stop nothing.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.answering && (this.pending.size > 0 || this.sending)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    clearTimeout(this.retryTimer);
    this.options.drops.drop('shutdown', this.pending.size, `${this.options.receiver} ${this.options.endpoint.displayUrl}: undelivered at stop`);
    this.pending.clear();
    this.updateGauge();
    this.options.endpoint.close();
  }

  private pump(): void {
    if (this.sending || this.retryTimer !== undefined) return;
    if (this.pending.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    const batch: Array<[string, Entry<T>]> = [];
    for (const entry of this.pending) {
      batch.push(entry);
      if (batch.length >= this.options.maxBatch) break;
    }
    for (const [key] of batch) this.pending.delete(key);
    this.sending = true;
    void this.send(batch);
  }

  private async send(batch: Array<[string, Entry<T>]>): Promise<void> {
    const { endpoint, bodyOf, metrics, receiver, drops, logger, retry } = this.options;
    const outcome = await endpoint.post(bodyOf(batch.map(([, entry]) => entry.item)));
    this.sending = false;
    this.answering = outcome.kind !== 'retry';
    if (outcome.kind === 'delivered') {
      if (this.attempt > 0) logger.info('alert receiver reachable again', { receiver, url: endpoint.displayUrl });
      this.attempt = 0;
      metrics.sent.inc({ receiver }, batch.length);
    } else if (outcome.kind === 'rejected') {
      metrics.failedPosts.inc({ receiver });
      drops.drop('rejected', batch.length, `${receiver} ${endpoint.displayUrl}: ${outcome.detail}`);
    } else {
      metrics.failedPosts.inc({ receiver });
      if (this.stopping) {
        // A POST that was in flight when the stop gave up: nothing will retry it.
        drops.drop('shutdown', batch.length, `${receiver} ${endpoint.displayUrl}: undelivered at stop (${outcome.detail})`);
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        return;
      }
      if (this.attempt === 0) logger.warn('alert receiver unreachable; retrying with backoff', { receiver, url: endpoint.displayUrl, error: outcome.detail });
      this.requeue(batch, outcome.detail);
      const delay = backoffDelay(this.attempt++, retry.minMs, retry.maxMs);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, delay);
      this.retryTimer.unref();
      return;
    }
    this.updateGauge();
    this.pump();
  }

  /** Puts a failed batch back in front, minus what expired and what a newer state replaced meanwhile. */
  private requeue(batch: Array<[string, Entry<T>]>, detail: string): void {
    const now = Date.now();
    const kept = batch.filter(([key, entry]) => !this.pending.has(key) && now - entry.queuedAt < this.options.retry.giveUpAfterMs);
    const expired = batch.filter(([key, entry]) => !this.pending.has(key) && now - entry.queuedAt >= this.options.retry.giveUpAfterMs);
    this.options.drops.drop('expired', expired.length, `${this.options.receiver} ${this.options.endpoint.displayUrl}: ${detail}`);
    this.pending = new Map([...kept, ...this.pending]);
    this.updateGauge();
  }

  private updateGauge(): void {
    this.options.metrics.queued.set({ receiver: this.options.receiver, url: this.options.endpoint.displayUrl }, this.pending.size);
  }
}
