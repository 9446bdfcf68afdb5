import type { Logger } from 'winston';
import type { CheckpointDocument } from '../checkpoint/checkpoint-schema.js';
import type { CommitTracker, PendingCommit } from '../checkpoint/commit-tracker.js';
import type { AgentMetrics } from '../observability/metrics.js';
import { SinkFencedError, type Sink, type SinkTransactions } from '../sinks/sink.js';
import type { Batch } from './audit-record.js';
import type { BatchDelivery } from './batch-delivery.js';
import { SendRetries } from './send-retries.js';
import { withinTimeout } from './within-timeout.js';

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
 * Sends sealed batches in transactions, in the order they were sealed: each batch goes into the
 * open transaction as soon as it is sealed, and the transaction is committed with the checkpoint
 * its batches advance the files to, so the sink's side holds events and positions that always
 * agree. A transaction is committed once it holds the sink's transaction size in events, or half
 * the in-flight bytes (so the next one fills while it commits), once its oldest batch waited the
 * commit interval, when reading is paused on the in-flight bytes, or when the agent drains. Its
 * batches are acknowledged together, only once it committed. A failed transaction is aborted and
 * its batches sent again in a new one, forever, with backoff; a fenced sink stops everything.
 * One worker does it all, one step at a time, as a transaction allows no concurrent calls.
 */
export class TransactionalDelivery<F> implements BatchDelivery<F> {
  /** Sealed, not yet in a transaction. */
  private readonly queued: Sealed<F>[] = [];
  /** The open transaction's batches, of which the first `added` are in it (a failure resets it to 0). */
  private open: Sealed<F>[] = [];
  private added = 0;
  private draining = false;
  private fenced?: SinkFencedError;
  private wakeWorker?: () => void;
  private dueTimer?: NodeJS.Timeout;
  private readonly capacityWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<(drained: boolean) => void> = [];
  private readonly retries: SendRetries;

  constructor(private readonly options: TransactionalDeliveryOptions<F>) {
    this.retries = new SendRetries({ sinkName: options.sink.name, ...options });
    void this.work();
  }

  get idle(): boolean {
    return this.options.commits.pendingCount === 0;
  }

  submit(batch: Batch, commit: PendingCommit<F>): void {
    this.options.commits.sealed(commit);
    this.queued.push({ batch, commit, sealedAt: performance.now() });
    this.wake();
  }

  /** Only the bytes bound reading: a transaction is meant to gather many batches. */
  hasCapacity(): boolean {
    return this.options.commits.inflightBytes < this.options.maxInflightBytes;
  }

  waitForCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    // Reading stops until a commit makes room: commit now rather than at the interval.
    this.wake();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Commits what waits without waiting for the interval; false at the time-out or once fenced. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.idle) return true;
    if (this.fenced) return false;
    this.draining = true;
    this.wake();
    return withinTimeout(new Promise<boolean>((resolve) => this.idleWaiters.push(resolve)), timeoutMs);
  }

  abandon(): void {
    this.retries.abandon();
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeWorker;
    this.wakeWorker = undefined;
    wake?.();
  }

  private async work(): Promise<void> {
    for (let attempt = 0; !this.retries.abandoned; ) {
      try {
        await this.addWhatFits();
        if (!this.commitDue()) {
          // Batches may have come while the last add waited: sleep only when nothing is left to do.
          if (!this.addable()) await this.nextWake();
          continue;
        }
        await this.commitOpen();
        attempt = 0;
      } catch (error) {
        if (error instanceof SinkFencedError) {
          this.stopFenced(error);
          return;
        }
        await this.options.transactions.abort().catch(() => undefined);
        this.added = 0;
        await this.retries.afterFailure(error, attempt, 'committing a transaction', { batches: this.open.length, events: eventsOf(this.open) });
        attempt += 1;
      }
    }
  }

  /** Adds the open transaction's batches not in it yet, then queued ones while they fit. */
  private async addWhatFits(): Promise<void> {
    for (;;) {
      if (this.added === this.open.length) {
        const next = this.queued[0];
        if (next === undefined || !this.fits(next)) return;
        this.open.push(this.queued.shift()!);
      }
      await this.options.transactions.add(this.open[this.added]!.batch);
      this.added += 1;
    }
  }

  private addable(): boolean {
    return this.added < this.open.length || (this.queued.length > 0 && this.fits(this.queued[0]!));
  }

  private fits(next: Sealed<F>): boolean {
    if (this.open.length === 0) return true;
    return (
      eventsOf(this.open) + next.batch.records.length <= this.options.transactions.maxEvents &&
      bytesOf(this.open) + next.commit.readBytes <= this.options.maxInflightBytes / 2
    );
  }

  /** Whether the open transaction is to be committed now; arms the interval's timer when it is not yet. */
  private commitDue(): boolean {
    if (this.open.length === 0) return false;
    // Queued batches that were not added are waiting for this transaction to end: it is full.
    if (this.draining || this.queued.length > 0 || !this.hasCapacity()) return true;
    if (eventsOf(this.open) >= this.options.transactions.maxEvents || bytesOf(this.open) >= this.options.maxInflightBytes / 2) return true;
    const waitedMs = performance.now() - this.open[0]!.sealedAt;
    if (waitedMs >= this.options.transactions.intervalMs) return true;
    this.dueTimer ??= setTimeout(() => {
      this.dueTimer = undefined;
      this.wake();
    }, this.options.transactions.intervalMs - waitedMs);
    return false;
  }

  private nextWake(): Promise<void> {
    return new Promise((resolve) => (this.wakeWorker = resolve));
  }

  private async commitOpen(): Promise<void> {
    const { metrics, transactions } = this.options;
    const transaction = this.open;
    const positions = new Map<F, number>();
    for (const sealed of transaction) for (const [file, offset] of sealed.commit.positions) positions.set(file, offset);
    await transactions.commit(this.options.checkpointAfter(positions));
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    this.open = [];
    this.added = 0;
    const now = performance.now();
    for (const { batch, commit, sealedAt } of transaction) {
      metrics.eventsShipped.inc(batch.records.length);
      metrics.bytesShipped.inc(batch.bytes);
      metrics.batchLatency.observe((now - sealedAt) / 1000);
      this.options.commits.acknowledge(commit.id);
    }
    if (this.hasCapacity()) for (const resolve of this.capacityWaiters.splice(0)) resolve();
    if (this.idle) for (const resolve of this.idleWaiters.splice(0)) resolve(true);
  }

  private stopFenced(error: SinkFencedError): void {
    this.fenced = error;
    clearTimeout(this.dueTimer);
    this.options.onFenced(error);
    for (const resolve of this.idleWaiters.splice(0)) resolve(false);
  }
}

function eventsOf<F>(batches: readonly Sealed<F>[]): number {
  return batches.reduce((sum, sealed) => sum + sealed.batch.records.length, 0);
}

function bytesOf<F>(batches: readonly Sealed<F>[]): number {
  return batches.reduce((sum, sealed) => sum + sealed.commit.readBytes, 0);
}
