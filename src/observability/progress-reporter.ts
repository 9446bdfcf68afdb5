import type { Logger } from 'winston';
import type { AgentMetrics } from './metrics.js';

export interface ProgressSnapshot {
  lagBytes: number;
  files: number;
  inflightBytes: number;
}

/**
 * Logs a progress line at a fixed interval: events/s and MB/s since the last line, lag, rotations.
 * `make run` shows it; in a cluster `/metrics` carries the same figures.
 */
export class ProgressReporter {
  private timer?: NodeJS.Timeout;
  private last = { at: performance.now(), events: 0, bytes: 0 };

  constructor(
    private readonly intervalMs: number,
    private readonly metrics: AgentMetrics,
    private readonly snapshot: () => ProgressSnapshot,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.report(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async report(): Promise<void> {
    const now = performance.now();
    const events = await counterValue(this.metrics, 'eventsShipped');
    const bytes = await counterValue(this.metrics, 'bytesShipped');
    const seconds = (now - this.last.at) / 1000;
    const { lagBytes, files, inflightBytes } = this.snapshot();
    this.logger.info('progress', {
      eventsPerSecond: Math.round((events - this.last.events) / seconds),
      megabytesPerSecond: Number(((bytes - this.last.bytes) / seconds / 1e6).toFixed(2)),
      eventsShipped: events,
      lagBytes,
      files,
      inflightBytes,
      rotations: await counterValue(this.metrics, 'rotations'),
      truncations: await counterValue(this.metrics, 'truncations'),
      invalidLines: await counterValue(this.metrics, 'invalidLines'),
      bytesLost: await counterValue(this.metrics, 'bytesLost'),
    });
    this.last = { at: now, events, bytes };
  }
}

type CounterName = 'eventsShipped' | 'bytesShipped' | 'rotations' | 'truncations' | 'invalidLines' | 'bytesLost';

/** Sum of a counter over its labels. */
export async function counterValue(metrics: AgentMetrics, name: CounterName | 'linesRead' | 'deadLetterLines' | 'oversizeLines' | 'invalidUtf8Lines' | 'emptyLines' | 'checkpointFallbacks'): Promise<number> {
  const { values } = await metrics[name].get();
  return values.reduce((sum, entry) => sum + entry.value, 0);
}
