import type { Logger } from 'winston';
import type { AlertMetrics, DropReason } from './alert-metrics.js';

/** At most one log line per reason in this period; the counts in between are summed into it. */
const LOG_PERIOD_MS = 10_000;

/**
 * Counts alerts given up (`alerts_dropped_total{reason}`) and logs them without flooding the log
 * when a receiver stays down: the first drop of a reason at once, then one summary per period.
 */
export class DropLog {
  private readonly unlogged = new Map<DropReason, { count: number; detail: string }>();
  private readonly loggedAt = new Map<DropReason, number>();

  constructor(
    private readonly metrics: AlertMetrics,
    private readonly logger: Logger,
  ) {}

  drop(reason: DropReason, count: number, detail: string): void {
    if (count <= 0) return;
    this.metrics.dropped.inc({ reason }, count);
    const pending = this.unlogged.get(reason) ?? { count: 0, detail };
    pending.count += count;
    pending.detail = detail;
    this.unlogged.set(reason, pending);
    const now = Date.now();
    if (now - (this.loggedAt.get(reason) ?? -Infinity) >= LOG_PERIOD_MS) this.log(reason, now);
  }

  /** Logs what was counted but not logged yet (at shutdown). */
  flush(): void {
    for (const reason of [...this.unlogged.keys()]) this.log(reason, Date.now());
  }

  private log(reason: DropReason, now: number): void {
    const pending = this.unlogged.get(reason);
    if (!pending) return;
    this.unlogged.delete(reason);
    this.loggedAt.set(reason, now);
    this.logger.warn('alerts dropped', { reason, dropped: pending.count, detail: pending.detail });
  }
}
