import type { PendingCommit } from '../checkpoint/commit-tracker.js';
import type { Batch } from './audit-record.js';

/**
 * How sealed batches reach the sink and come back acknowledged, as the agent drives it: one
 * batch per send (`Delivery`), or several batches and their checkpoint per transaction
 * (`TransactionalDelivery`).
 */
export interface BatchDelivery<F> {
  /** True when every submitted batch is committed. */
  readonly idle: boolean;
  submit(batch: Batch, commit: PendingCommit<F>): void;
  /** Whether reading may go on (the in-flight limits are not reached). */
  hasCapacity(): boolean;
  /** Resolves once reading may go on. */
  waitForCapacity(): Promise<void>;
  /** Resolves when every submitted batch is committed (true), or after timeoutMs (false). */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops retrying (shutdown grace period over): unacknowledged batches stay uncommitted. */
  abandon(): void;
}
