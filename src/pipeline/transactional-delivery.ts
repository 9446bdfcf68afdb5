import type { Logger } from 'winston';
import type { CheckpointDocument } from '../checkpoint/checkpoint-schema.js';
import type { CommitTracker, PendingCommit } from '../checkpoint/commit-tracker.js';
import type { AgentMetrics } from '../observability/metrics.js';
import { SinkFencedError, type Sink, type SinkTransactions } from '../sinks/sink.js';
import type { Batch } from './audit-record.js';
import type { BatchDelivery } from './batch-delivery.js';
import { SendRetries } from './send-retries.js';

export interface TransactionalDeliveryOptions<F> {
  sink: Sink;
  transactions: SinkTransactions;
  commits: CommitTracker<F>;
  maxInflightBytes: number;
  retryMinMs: number;
  retryMaxMs: number;
  metrics: AgentMetrics;
  logger: Logger;
  /** The checkpoint the files reach once these positions (and every earlier one) are committed. */
  checkpointAfter(positions: ReadonlyMap<F, number>): CheckpointDocument;
  /** The sink was taken over by another instance: nothing more can be delivered. */
  onFenced(error: SinkFencedError): void;
}

interface Sealed<F> {
  batch: Batch;
  commit: PendingCommit<F>;
  sealedAt: number;
}

/**
 * Sends sealed batches as transactions, one at a time and in the order they were sealed: each
 * carries the events of the batches waiting (up to the sink's transaction size) and the
 * checkpoint they advance the files to, so the sink's side holds events and positions that always
 * agree. While one transaction commits, the reader fills the next: a transaction takes at most
 * half the in-flight bytes, so the next one has the other half. A transaction is committed once it
 * is full, its oldest batch waited the commit interval, reading is paused on the in-flight bytes,
 * or the agent drains; a failed one is sent again whole, forever, with backoff.
 * The batches of one transaction are acknowledged together, only once it committed.
 */
export class TransactionalDelivery<F> implements BatchDelivery<F> {
  private readonly waiting: Sealed<F>[] = [];
  private committing = false;
  private draining = false;
  private fenced?: SinkFencedError;
  private dueTimer?: NodeJS.Timeout;
  private readonly capacityWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<(drained: boolean) => void> = [];
  private readonly retries: SendRetries;

  constructor(private readonly options: TransactionalDeliveryOptions<F>) {
    this.retries = new SendRetries({ sinkName: options.sink.name, ...options });
  }

  get idle(): boolean {
    return this.options.commits.pendingCount === 0;
  }

  submit(batch: Batch, commit: PendingCommit<F>): void {
    this.options.commits.sealed(commit);
    this.waiting.push({ batch, commit, sealedAt: performance.now() });
    this.schedule();
  }

  /** Only the bytes bound reading: a transaction is meant to gather many batches. */
  hasCapacity(): boolean {
    return this.options.commits.inflightBytes < this.options.maxInflightBytes;
  }

  waitForCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    // Reading stops until a commit makes room: commit what waits now rather than at the interval.
    this.schedule();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Commits what waits without waiting for the interval; false at the time-out or once fenced. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.idle) return true;
    if (this.fenced) return false;
    this.draining = true;
    this.schedule();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return drained;
  }

  abandon(): void {
    clearTimeout(this.dueTimer);
    this.retries.abandon();
  }

  /** Starts the next transaction when one is due, or arms the timer of the commit interval. */
  private schedule(): void {
    if (this.committing || this.fenced || this.retries.abandoned || this.waiting.length === 0) return;
    const { maxEvents, intervalMs } = this.options.transactions;
    const waitedMs = performance.now() - this.waiting[0]!.sealedAt;
    const due =
      this.draining ||
      !this.hasCapacity() ||
      waitedMs >= intervalMs ||
      this.waitingEvents() >= maxEvents ||
      this.waitingBytes() >= this.maxTransactionBytes();
    if (!due) {
      this.dueTimer ??= setTimeout(() => {
        this.dueTimer = undefined;
        this.schedule();
      }, intervalMs - waitedMs);
      return;
    }
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    this.committing = true;
    void this.commitTransaction(this.takeTransaction());
  }

  private waitingEvents(): number {
    return this.waiting.reduce((sum, sealed) => sum + sealed.batch.records.length, 0);
  }

  private waitingBytes(): number {
    return this.waiting.reduce((sum, sealed) => sum + sealed.commit.readBytes, 0);
  }

  private maxTransactionBytes(): number {
    return this.options.maxInflightBytes / 2;
  }

  /** The oldest waiting batches, up to the transaction size in events and bytes (at least one batch). */
  private takeTransaction(): Sealed<F>[] {
    let events = 0;
    let bytes = 0;
    let count = 0;
    while (count < this.waiting.length) {
      const next = this.waiting[count]!;
      const nextEvents = events + next.batch.records.length;
      const nextBytes = bytes + next.commit.readBytes;
      if (count > 0 && (nextEvents > this.options.transactions.maxEvents || nextBytes > this.maxTransactionBytes())) break;
      events = nextEvents;
      bytes = nextBytes;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private async commitTransaction(transaction: Sealed<F>[]): Promise<void> {
    const { metrics, transactions } = this.options;
    const batches = transaction.map((sealed) => sealed.batch);
    const positions = new Map<F, number>();
    for (const sealed of transaction) for (const [file, offset] of sealed.commit.positions) positions.set(file, offset);
    const events = batches.reduce((sum, batch) => sum + batch.records.length, 0);
    for (let attempt = 0; !this.retries.abandoned; attempt += 1) {
      try {
        await transactions.commit(batches, this.options.checkpointAfter(positions));
        const now = performance.now();
        for (const { batch, sealedAt } of transaction) {
          metrics.eventsShipped.inc(batch.records.length);
          metrics.bytesShipped.inc(batch.bytes);
          metrics.batchLatency.observe((now - sealedAt) / 1000);
        }
        this.committed(transaction);
        return;
      } catch (error) {
        if (error instanceof SinkFencedError) {
          this.fenced = error;
          this.options.onFenced(error);
          for (const resolve of this.idleWaiters.splice(0)) resolve(false);
          return;
        }
        await this.retries.afterFailure(error, attempt, 'committing a transaction', { batches: batches.length, events });
      }
    }
  }

  private committed(transaction: Sealed<F>[]): void {
    for (const { commit } of transaction) this.options.commits.acknowledge(commit.id);
    this.committing = false;
    if (this.hasCapacity()) for (const resolve of this.capacityWaiters.splice(0)) resolve();
    if (this.idle) for (const resolve of this.idleWaiters.splice(0)) resolve(true);
    this.schedule();
  }
}
