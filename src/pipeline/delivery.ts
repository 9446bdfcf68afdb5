import type { Logger } from 'winston';
import type { CommitTracker, PendingCommit } from '../checkpoint/commit-tracker.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { Sink } from '../sinks/sink.js';
import type { Batch } from './audit-record.js';
import type { BatchDelivery } from './batch-delivery.js';
import { SendRetries } from './send-retries.js';
import { withinTimeout } from './within-timeout.js';

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
export class Delivery<F> implements BatchDelivery<F> {
  private inflightBatches = 0;
  private readonly capacityWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private readonly retries: SendRetries;

  constructor(private readonly options: DeliveryOptions<F>) {
    this.retries = new SendRetries({ sinkName: options.sink.name, ...options });
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
    return withinTimeout(new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))), timeoutMs);
  }

  /** Stops retrying (shutdown grace period over): unacknowledged batches stay uncommitted. */
  abandon(): void {
    this.retries.abandon();
  }

  private async deliver(batch: Batch, id: number): Promise<void> {
    const sealedAt = performance.now();
    for (let attempt = 0; !this.retries.abandoned; attempt += 1) {
      try {
        await this.options.sink.send(batch);
        this.options.metrics.eventsShipped.inc(batch.records.length);
        this.options.metrics.bytesShipped.inc(batch.bytes);
        this.options.metrics.batchLatency.observe((performance.now() - sealedAt) / 1000);
        this.inflightBatches -= 1;
        this.acknowledge(id);
        return;
      } catch (error) {
        await this.retries.afterFailure(error, attempt, 'sending a batch', { batch: id, events: batch.records.length });
      }
    }
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
