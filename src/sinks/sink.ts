import type { CheckpointDocument } from '../checkpoint/checkpoint-schema.js';
import type { Batch } from '../pipeline/audit-record.js';

/**
 * What every sink (file, stdout, kafka, forward) implements. Sinks know nothing of files or
 * checkpoints: the agent retries a failed `send` with backoff and only moves checkpoints over
 * batches whose `send` resolved.
 */
export interface Sink {
  /** Short name for logs and metrics, e.g. `kafka`. */
  readonly name: string;
  /**
   * True when `send` reads only each record's `value` (and `origin`, `detections`), never `event`: the agent
   * then drops parsed events before batching instead of keeping them until the ack.
   */
  readonly shipsValueOnly?: boolean;
  /**
   * Prepares the sink (opens files, creates clients). Rejects only for problems that retrying
   * cannot fix (bad certificate file, unwritable output path); an unreachable server is not one
   * of them: `send` fails and is retried instead.
   */
  start(): Promise<void>;
  /**
   * Resolves only when the far side has durably accepted every record of the batch. A rejection
   * means none of the batch may be considered delivered; the agent sends the whole batch again.
   * May be called again before an earlier call settled (several batches in flight).
   */
  send(batch: Batch): Promise<void>;
  /** Releases connections and files. Called once, after the last `send` settled. */
  close(): Promise<void>;
  /** Whether the sink can currently deliver, for `/readyz`. */
  health(): SinkHealth;
  /**
   * Present when the sink commits events and the read positions they advance to atomically
   * (Kafka exactly-once): the agent then sends batches only through it, and resumes from the
   * checkpoint the sink committed last.
   */
  readonly transactions?: SinkTransactions;
}

/**
 * Transactions that carry the events of one or more batches and, in the same commit, the
 * checkpoint those events advance the files to: after a crash, the far side holds exactly the
 * events before the committed checkpoint, so nothing is sent twice or skipped.
 */
export interface SinkTransactions {
  /** A transaction is committed once it holds this many events... */
  readonly maxEvents: number;
  /** ...or its oldest batch has waited this long. */
  readonly intervalMs: number;
  /**
   * The checkpoint document of the last committed transaction (unparsed), undefined when none
   * was ever committed. Fences every earlier incarnation first, so none of them can commit after
   * it was read. Retries (a broker away) until it can tell.
   */
  committedCheckpoint(): Promise<unknown>;
  /**
   * Hands a batch's events to the open transaction (begun with its first batch). A rejection
   * means the open transaction is lost: `abort`, then add its batches again.
   */
  add(batch: Batch): Promise<void>;
  /** Commits the open transaction with `checkpoint` as its last record; a rejection means none of it is visible. */
  commit(checkpoint: CheckpointDocument): Promise<void>;
  /** Aborts the open transaction, if any: none of it becomes visible. */
  abort(): Promise<void>;
}

export interface SinkHealth {
  ready: boolean;
  /** One line a human can act on, e.g. `last send failed: connect ECONNREFUSED 127.0.0.1:9092`. */
  detail: string;
}

/**
 * A failure that retrying the same batch cannot fix (for example an authentication error).
 * The agent still retries (losing data is worse than waiting for an operator), but logs it
 * at error level and reports it in readiness so the operator sees it at once.
 */
export class PermanentSinkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentSinkError';
  }
}

/**
 * Another instance took over the sink's identity (a second agent with the same Kafka
 * transactional id): this one must not deliver anything more, and is never retried.
 */
export class SinkFencedError extends PermanentSinkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SinkFencedError';
  }
}
