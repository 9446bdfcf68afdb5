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
