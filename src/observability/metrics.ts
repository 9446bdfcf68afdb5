import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from './build-info.js';
import { PerLineCounter } from './per-line-counter.js';

const PREFIX = 'kube_audit_forwarder_';

/** Why a line went to the dead-letter file (the `reason` label). */
export const DEAD_LETTER_REASONS = ['invalid', 'oversize', 'clipped'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
/** What became of a line longer than --max-line-bytes (the `outcome` label). */
export const OVERSIZE_OUTCOMES = ['truncated', 'dead-letter'] as const;

/**
 * Sets the series of the label sets known at start to 0, so they are served from the first
 * scrape: an alert on increase() or a rate then sees the first occurrence, not only the second.
 */
export function startAtZero<L extends string>(counter: Counter<L>, labelSets: ReadonlyArray<Partial<Record<L, string>>>): void {
  for (const labels of labelSets) counter.inc(labels, 0);
}

/** Figures the agent computes on demand for the sampled gauges. */
export interface LiveFigures {
  filesOpen: number;
  unreadableFiles: number;
  inflightBytes: number;
  checkpointAgeSeconds: number;
  lagSeconds: number;
  files: Array<{ fingerprint: string; path: string; lagBytes: number }>;
}

/**
 * The agent's Prometheus metrics. One instance per agent, on its own registry, so tests can run
 * several agents in one process without clashing and sinks can add theirs to the same registry.
 */
export class AgentMetrics {
  readonly registry = new Registry();

  readonly linesRead = this.perLine('lines_read_total', 'Complete lines read from audit log files');
  readonly bytesRead = this.perLine('bytes_read_total', 'Bytes of complete lines read (decompressed), newlines included');
  readonly eventsShipped = this.counter('events_shipped_total', 'Events acknowledged by the sink');
  readonly bytesShipped = this.counter('bytes_shipped_total', 'Event bytes acknowledged by the sink');
  readonly invalidLines = this.counter('invalid_lines_total', 'Lines that are not a JSON object (dead-lettered or shipped raw)');
  readonly invalidUtf8Lines = this.counter('invalid_utf8_lines_total', 'Lines with bytes that are not valid UTF-8 (shipped as read)');
  readonly emptyLines = this.counter('empty_lines_total', 'Blank lines skipped');
  readonly oversizeLines = this.counter('oversize_lines_total', 'Lines longer than --max-line-bytes', ['outcome'], OVERSIZE_OUTCOMES.map((outcome) => ({ outcome })));
  readonly deadLetterLines = this.counter('dead_letter_lines_total', 'Lines written to the dead-letter file', ['reason'], DEAD_LETTER_REASONS.map((reason) => ({ reason })));
  readonly droppedEvents = this.counter('processor_dropped_events_total', 'Events dropped by a processor', ['processor']);
  readonly rotations = this.counter('rotations_total', 'Rotations seen: the live file was renamed or replaced');
  readonly truncations = this.counter('truncations_total', 'Files truncated in place (copytruncate); a new generation starts at 0');
  readonly bytesLost = this.counter(
    'bytes_lost_total',
    'Bytes deleted from disk before they could be read (a backup removed while the agent was behind or down)',
  );
  readonly sinkErrors = this.counter('sink_errors_total', 'Failed batch sends', ['sink']);
  readonly sinkRetries = this.counter('sink_retries_total', 'Batch sends retried after a failure', ['sink']);
  readonly checkpointWrites = this.counter('checkpoint_writes_total', 'Checkpoint generations written');
  readonly checkpointFallbacks = this.counter(
    'checkpoint_fallbacks_total',
    'Start-ups that found the checkpoint unreadable and used an older generation',
  );
  readonly filesOpen = this.sampled('files_open', 'Audit log files the agent holds open', (figures, gauge) =>
    gauge.set(figures.filesOpen),
  );
  readonly unreadableFiles = this.sampled(
    'unreadable_files',
    'Files of the audit log the agent cannot open or read now (permissions, a directory, a symbolic link to nothing): their events are not shipped',
    (figures, gauge) => gauge.set(figures.unreadableFiles),
  );
  readonly fileLagBytes = this.sampled(
    'file_lag_bytes',
    'Bytes on disk not yet acknowledged, per tracked file (file: its fingerprint, path: where it is now)',
    (figures, gauge) => {
      gauge.reset();
      for (const file of figures.files) gauge.set({ file: file.fingerprint, path: file.path }, file.lagBytes);
    },
    ['file', 'path'],
  );
  readonly inflightBytes = this.sampled('inflight_bytes', 'Bytes read but not yet acknowledged by the sink', (figures, gauge) =>
    gauge.set(figures.inflightBytes),
  );
  readonly checkpointAge = this.sampled(
    'checkpoint_age_seconds',
    'Seconds since a checkpointed position last changed (grows while nothing is acknowledged)',
    (figures, gauge) => gauge.set(figures.checkpointAgeSeconds),
  );
  readonly lagSeconds = this.sampled(
    'lag_seconds',
    'Age of the oldest line on disk not yet acknowledged (its stageTimestamp, or its file\'s mtime while unread); 0 when caught up',
    (figures, gauge) => gauge.set(figures.lagSeconds),
  );
  /** Sampled at each scrape, so an alert sees the sink's state however long a send has been waiting. */
  readonly sinkReady = new Gauge({
    name: `${PREFIX}sink_ready`,
    help: 'Whether the sink can deliver (1) or not (0), as /readyz reports it',
    registers: [this.registry],
    collect: () => {
      if (this.sinkReadiness) this.sinkReady.set(this.sinkReadiness() ? 1 : 0);
    },
  });
  readonly batchLatency = new Histogram({
    name: `${PREFIX}batch_latency_seconds`,
    help: 'Time from a batch being sealed to its acknowledgement by the sink, retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly buildInfo = new Gauge({
    name: `${PREFIX}build_info`,
    help: 'Always 1; its labels say which version (and source revision, when the image build knew it) runs on which Node',
    labelNames: ['version', 'revision', 'node_version'],
    registers: [this.registry],
  });

  private figures?: () => LiveFigures;
  private sinkReadiness?: () => boolean;

  constructor(options: { nodeDefaults: boolean } = { nodeDefaults: true }) {
    // Unprefixed, under the names every Node.js dashboard and alert expects (process_*, nodejs_*).
    if (options.nodeDefaults) collectDefaultMetrics({ register: this.registry });
    const build = buildInfo();
    this.buildInfo.set({ version: build.version, revision: build.revision, node_version: build.nodeVersion }, 1);
  }

  /** Where `sink_ready` takes its value at each scrape (the running agent's sink). */
  sinkReadyFrom(readiness: () => boolean): void {
    this.sinkReadiness = readiness;
  }

  /** Where the sampled gauges take their values at each scrape (the running agent). */
  sampleFrom(figures: () => LiveFigures): void {
    this.figures = figures;
  }

  /** A gauge computed when it is scraped, so it is never stale (e.g. during a sink outage). */
  private sampled<L extends string = never>(
    name: string,
    help: string,
    update: (figures: LiveFigures, gauge: Gauge<L>) => void,
    labelNames: L[] = [],
  ): Gauge<L> {
    const metrics = this;
    return new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        const figures = metrics.figures?.();
        if (figures) update(figures, this);
      },
    });
  }

  private perLine(name: string, help: string): PerLineCounter {
    return new PerLineCounter({ name: `${PREFIX}${name}`, help, registers: [this.registry] });
  }

  private counter<L extends string = never>(
    name: string,
    help: string,
    labelNames: L[] = [],
    known: ReadonlyArray<Partial<Record<L, string>>> = [],
  ): Counter<L> {
    const counter = new Counter({ name: `${PREFIX}${name}`, help, labelNames, registers: [this.registry] });
    startAtZero(counter, known);
    return counter;
  }
}
