import type { Logger } from 'winston';
import { startAtZero, type AgentMetrics } from '../observability/metrics.js';
import { PermanentSinkError } from '../sinks/sink.js';
import { backoffDelay } from './backoff.js';

export interface SendRetriesOptions {
  sinkName: string;
  retryMinMs: number;
  retryMaxMs: number;
  metrics: AgentMetrics;
  logger: Logger;
}

/**
 * What follows a failed send, whichever delivery made it: the failure counted and logged, a
 * capped exponential backoff with jitter, and the retry counted. The waits end at once when the
 * shutdown grace period is over (`abandon`).
 */
export class SendRetries {
  private abandonedFlag = false;
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly sinkLabel: { sink: string };

  constructor(private readonly options: SendRetriesOptions) {
    this.sinkLabel = { sink: options.sinkName };
    startAtZero(options.metrics.sinkErrors, [this.sinkLabel]);
    startAtZero(options.metrics.sinkRetries, [this.sinkLabel]);
  }

  get abandoned(): boolean {
    return this.abandonedFlag;
  }

  /** Counts and logs failed attempt number `attempt` (from 0), then waits before the next one. */
  async afterFailure(error: unknown, attempt: number, what: string, details: Record<string, unknown>): Promise<void> {
    const { metrics, logger, retryMinMs, retryMaxMs, sinkName } = this.options;
    metrics.sinkErrors.inc(this.sinkLabel);
    const delay = backoffDelay(attempt, retryMinMs, retryMaxMs);
    const level = error instanceof PermanentSinkError ? 'error' : 'warn';
    // One line per failing attempt would flood the log during a long outage: log the first
    // failures, then only at the capped delay.
    if (attempt < 3 || delay >= retryMaxMs / 2) {
      logger.log(level, `${what} failed; it will be retried`, {
        sink: sinkName,
        ...details,
        attempt: attempt + 1,
        retryInMs: delay,
        error: (error as Error).message,
      });
    }
    await this.sleep(delay);
    if (!this.abandonedFlag) metrics.sinkRetries.inc(this.sinkLabel);
  }

  /** Ends every wait now; no retry follows. */
  abandon(): void {
    this.abandonedFlag = true;
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.timers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }
}
