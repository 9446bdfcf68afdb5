import type { Logger } from 'winston';
import type { CommitTracker, PendingCommit } from '../checkpoint/commit-tracker.js';
import { startAtZero, type AgentMetrics } from '../observability/metrics.js';
import { PermanentSinkError, type Sink } from '../sinks/sink.js';
import type { Batch } from './audit-record.js';
import { backoffDelay } from './backoff.js';

export interface DeliveryOptions<F> {
  sink: Sink;
  commits: CommitTracker<F>;
  maxInflightBytes: number;
  maxInflightBatches: number;
  retryMinMs: number;
  retryMaxMs: number;
  metrics: AgentMetrics;
  logger: Logger;
}

/**
 * Sends sealed batches to the sink, several at a time, retrying each failed batch forever with
 * backoff, and acknowledges them to the commit tracker. Reading waits on `waitForCapacity`, so a
 * slow or absent sink stops the reader instead of growing memory.
 */
export class Delivery<F> {
  private inflightBatches = 0;
  private readonly capacityWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private abandoned = false;
  private readonly retryTimers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(private readonly options: DeliveryOptions<F>) {
    const sink = [{ sink: options.sink.name }];
    startAtZero(options.metrics.sinkErrors, sink);
    startAtZero(options.metrics.sinkRetries, sink);
  }

  get idle(): boolean {
    return this.options.commits.pendingCount === 0;
  }

  submit(batch: Batch, commit: PendingCommit<F>): void {
    this.options.commits.sealed(commit);
    if (batch.records.length === 0) {
      this.acknowledge(batch.id);
      return;
    }
    this.inflightBatches += 1;
    void this.deliver(batch, commit.id);
  }

  /** Resolves once fewer bytes and batches are in flight than the limits. */
  waitForCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Resolves when every submitted batch is committed, or after timeoutMs (then false). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.idle) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return drained;
  }

  /** Stops retrying (shutdown grace period over): unacknowledged batches stay uncommitted. */
  abandon(): void {
    this.abandoned = true;
    for (const entry of this.retryTimers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.retryTimers.clear();
  }

  private async deliver(batch: Batch, id: number): Promise<void> {
    const sealedAt = performance.now();
    const sinkLabel = { sink: this.options.sink.name };
    for (let attempt = 0; !this.abandoned; attempt += 1) {
      try {
        await this.options.sink.send(batch);
        this.options.metrics.eventsShipped.inc(batch.records.length);
        this.options.metrics.bytesShipped.inc(batch.bytes);
        this.options.metrics.batchLatency.observe((performance.now() - sealedAt) / 1000);
        this.inflightBatches -= 1;
        this.acknowledge(id);
        return;
      } catch (error) {
        this.options.metrics.sinkErrors.inc(sinkLabel);
        const delay = backoffDelay(attempt, this.options.retryMinMs, this.options.retryMaxMs);
        const level = error instanceof PermanentSinkError ? 'error' : 'warn';
        // One line per failing attempt would flood the log during a long outage: log the first
        // failures, then only at the capped delay.
        if (attempt < 3 || delay >= this.options.retryMaxMs / 2) {
          this.options.logger.log(level, 'sending a batch failed; it will be retried', {
            sink: this.options.sink.name,
            batch: id,
            events: batch.records.length,
            attempt: attempt + 1,
            retryInMs: delay,
            error: (error as Error).message,
          });
        }
        await this.sleep(delay);
        if (!this.abandoned) this.options.metrics.sinkRetries.inc(sinkLabel);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.retryTimers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.retryTimers.add(entry);
    });
  }

  private acknowledge(id: number): void {
    this.options.commits.acknowledge(id);
    if (this.hasCapacity()) for (const resolve of this.capacityWaiters.splice(0)) resolve();
    if (this.idle) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Whether fewer bytes and batches are in flight than the limits. */
  hasCapacity(): boolean {
    return (
      this.options.commits.inflightBytes < this.options.maxInflightBytes &&
      this.inflightBatches < this.options.maxInflightBatches
    );
  }
}
