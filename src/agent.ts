import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Logger } from 'winston';
import { checkpointDocument, parseCheckpoint, type CheckpointDocument, type CheckpointEntry } from './checkpoint/checkpoint-schema.js';
import { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { CommitTracker } from './checkpoint/commit-tracker.js';
import type { AgentConfig } from './config.js';
import type { AgentMetrics, LiveFigures } from './observability/metrics.js';
import { counterValue, ProgressReporter } from './observability/progress-reporter.js';
import { sourceEventLog } from './observability/source-event-log.js';
import type { BatchDelivery } from './pipeline/batch-delivery.js';
import { Batcher } from './pipeline/batcher.js';
import { DeadLetterFile } from './pipeline/dead-letter.js';
import { Delivery } from './pipeline/delivery.js';
import { TransactionalDelivery } from './pipeline/transactional-delivery.js';
import { LineHandler } from './pipeline/line-handler.js';
import type { Processor } from './pipeline/processor.js';
import type { Sink, SinkFencedError, SinkTransactions } from './sinks/sink.js';
import { AuditLogSource } from './source/audit-log-source.js';
import type { SourceFile } from './source/file-reader.js';
import type { UnreadableFile } from './source/unreadable-files.js';

/** Lines longer than this are not kept whole in memory whatever --max-line-bytes says. */
const HARD_LINE_CAP_BYTES = 64 * 1024 * 1024;

/** With no position moving, file sizes are written at most once per this many checkpoint intervals. */
const SIZE_REFRESH_INTERVALS = 10;

/** How often a pending whenCaughtUp() looks again. */
const CAUGHT_UP_WAIT_CHECK_MS = 10;

export interface AgentDependencies {
  config: AgentConfig;
  sink: Sink;
  processors: Processor[];
  metrics: AgentMetrics;
  logger: Logger;
}

/** Summary the agent logs when it stops, and tests read. */
export interface AgentSummary {
  linesRead: number;
  eventsShipped: number;
  invalidLines: number;
  deadLetterLines: number;
  bytesLost: number;
  drained: boolean;
}

/**
 * Wires source → pipeline → sink and owns their lifecycle: restore the checkpoint, read and ship,
 * commit acknowledged progress to the checkpoint, and on stop drain in-flight batches and write a
 * last checkpoint. The only module that sees both the files and the sink.
 */
export class Agent {
  private readonly store: CheckpointStore;
  private readonly commits: CommitTracker<SourceFile>;
  private readonly delivery: BatchDelivery<SourceFile>;
  private readonly batcher: Batcher<SourceFile>;
  private readonly deadLetter: DeadLetterFile;
  private source?: AuditLogSource;
  private progress?: ProgressReporter;
  private checkpointTimer?: NodeJS.Timeout;
  private caughtUpTimer?: NodeJS.Timeout;
  /** Checks often while someone waits for the catch-up to end (`--exit-when-caught-up`). */
  private caughtUpWaitTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly startedAt = Date.now();
  /** When an acknowledged position last moved (from the checkpoint at start). */
  private progressAt = Date.now();
  /** What the last checkpoint written holds, to write only when something changed. */
  private writtenSignature?: string;
  private writtenSizes?: string;
  private checkpointWrittenAt = Date.now();
  private checkpointWriting: Promise<void> = Promise.resolve();
  private lastCheckpointError?: string;
  private stopping?: Promise<AgentSummary>;
  private readonly caughtUpListeners: Array<() => void> = [];
  private readonly fenced: Promise<SinkFencedError>;
  private resolveFenced!: (error: SinkFencedError) => void;

  constructor(private readonly deps: AgentDependencies) {
    const { config, metrics, logger } = deps;
    metrics.sinkReadyFrom(() => deps.sink.health().ready);
    this.store = new CheckpointStore(config.checkpointDir);
    this.deadLetter = new DeadLetterFile(config.deadLetterDir);
    this.commits = new CommitTracker<SourceFile>((file, offset) => {
      this.source?.ack(file, offset);
      this.progressAt = Date.now();
    });
    this.fenced = new Promise((resolve) => (this.resolveFenced = resolve));
    const deliveryOptions = {
      sink: deps.sink,
      commits: this.commits,
      maxInflightBytes: config.maxInflightBytes,
      retryMinMs: config.retryMinMs,
      retryMaxMs: config.retryMaxMs,
      metrics,
      logger,
    };
    const { transactions } = deps.sink;
    this.delivery = transactions
      ? new TransactionalDelivery<SourceFile>({
          ...deliveryOptions,
          transactions,
          checkpointAfter: (positions) => this.checkpointAfter(positions),
          onFenced: (error) => this.onFenced(error),
        })
      : new Delivery({ ...deliveryOptions, maxInflightBatches: config.maxInflightBatches });
    this.batcher = new Batcher<SourceFile>({
      maxEvents: config.batchMaxEvents,
      maxBytes: config.batchMaxBytes,
      lingerMs: config.batchLingerMs,
      onSeal: (batch, commit) => this.delivery.submit(batch, commit),
    });
    metrics.sampleFrom(() => this.liveFigures());
  }

  /** Restores the checkpoint, starts the sink and begins reading. */
  async start(): Promise<void> {
    const { config, logger, metrics } = this.deps;
    this.store.ensureDirectory();
    const local = await this.restoreCheckpoint();
    await this.deps.sink.start();
    const { transactions } = this.deps.sink;
    const restored = transactions ? await this.restoreCommittedCheckpoint(transactions, local) : local;
    const lineHandler = new LineHandler<SourceFile>({
      maxLineBytes: config.maxLineBytes,
      oversizePolicy: config.oversizePolicy,
      invalidLinePolicy: config.invalidLinePolicy,
      processors: this.deps.processors,
      releaseParsedEvents: this.deps.sink.shipsValueOnly === true,
      batcher: this.batcher,
      deadLetter: this.deadLetter,
      countRead: (bytes) => this.commits.read(bytes),
      metrics,
      logger,
    });
    this.source = new AuditLogSource({
      livePath: config.logPath,
      maxLineBytes: config.maxLineBytes,
      hardCapBytes: Math.max(HARD_LINE_CAP_BYTES, config.maxLineBytes),
      pollIntervalMs: config.pollIntervalMs,
      checkpoint: restored.entries,
      start: { startAt: config.startAt, replay: config.replay, checkpointUnusable: restored.unusable },
      events: sourceEventLog(logger, metrics),
      onLine: (file, line) => lineHandler.handle(file, file.path, line),
      hasCapacity: () => this.delivery.hasCapacity(),
      waitForCapacity: () => this.delivery.waitForCapacity(),
    });
    this.writtenSignature = signatureOf(restored.entries);
    this.writtenSizes = sizesOf(restored.entries);
    this.running = this.source.start().catch((error: unknown) => {
      logger.error('reading loop failed', { error: (error as Error).stack });
      throw error;
    });
    this.checkpointTimer = setInterval(() => void this.writeCheckpoint(), config.checkpointIntervalMs);
    this.progress = new ProgressReporter(config.progressIntervalMs, metrics, () => this.progressSnapshot(), logger);
    this.progress.start();
    this.caughtUpTimer = setInterval(() => this.checkCaughtUp(), Math.min(100, config.batchLingerMs + 10));
    logger.info('agent started', {
      path: config.logPath,
      sink: this.deps.sink.name,
      checkpointDir: config.checkpointDir,
      startAt: config.startAt,
      ...(config.replay ? { replay: true } : {}),
    });
  }

  /**
   * Resolves the first time every file it can read is read to its end and every batch is
   * acknowledged; files that cannot be read do not hold it up (see unreadableFiles()).
   */
  whenCaughtUp(): Promise<void> {
    // The regular check also seals batches early when the reader is idle; checking that often in
    // steady state would mean many small batches and fsyncs. A catch-up run that waits for its end
    // checks more often instead, so it does not idle for up to two periods.
    this.caughtUpWaitTimer ??= setInterval(() => this.checkCaughtUp(), CAUGHT_UP_WAIT_CHECK_MS);
    return new Promise((resolve) => this.caughtUpListeners.push(resolve));
  }

  /** The files of the log that cannot be read now: what they hold is not shipped. */
  unreadableFiles(): UnreadableFile[] {
    return this.source?.unreadableFiles() ?? [];
  }

  /**
   * Resolves if another instance took the sink over (a second agent with the same Kafka
   * transactional id): this agent can deliver nothing more and should stop.
   */
  whenFenced(): Promise<SinkFencedError> {
    return this.fenced;
  }

  /** Readiness: the log directory holds the log, the checkpoint can be written and the sink delivers. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail: string }> }> {
    let checkpointOk = !this.lastCheckpointError;
    let checkpointDetail = this.lastCheckpointError ?? this.deps.config.checkpointDir;
    try {
      await access(this.deps.config.checkpointDir, constants.W_OK);
    } catch (error) {
      checkpointOk = false;
      checkpointDetail = (error as Error).message;
    }
    const sinkHealth = this.deps.sink.health();
    const logDirectory = this.logDirectoryCheck();
    return {
      ready: checkpointOk && sinkHealth.ready && logDirectory.ok,
      checks: {
        logDirectory,
        checkpoint: { ok: checkpointOk, detail: checkpointDetail },
        sink: { ok: sinkHealth.ready, detail: sinkHealth.detail },
      },
    };
  }

  /**
   * Stops reading, gives in-flight batches up to the shutdown timeout to be acknowledged, writes
   * the checkpoint and closes the sink. Unacknowledged lines are read again on the next start.
   */
  stop(): Promise<AgentSummary> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<AgentSummary> {
    const { config, logger, metrics } = this.deps;
    await this.source?.stop();
    await this.running?.catch(() => undefined);
    clearInterval(this.caughtUpTimer);
    clearInterval(this.caughtUpWaitTimer);
    this.progress?.stop();
    this.batcher.seal();
    const drained = await this.delivery.drain(config.shutdownTimeoutMs);
    if (!drained) {
      logger.warn('shutdown timeout reached with batches unacknowledged; they will be sent again on restart', {
        shutdownTimeoutMs: config.shutdownTimeoutMs,
      });
      this.delivery.abandon();
    }
    clearInterval(this.checkpointTimer);
    await this.writeCheckpoint();
    this.deadLetter.close();
    await this.deps.sink.close();
    const summary: AgentSummary = {
      linesRead: await counterValue(metrics, 'linesRead'),
      eventsShipped: await counterValue(metrics, 'eventsShipped'),
      invalidLines: await counterValue(metrics, 'invalidLines'),
      deadLetterLines: await counterValue(metrics, 'deadLetterLines'),
      bytesLost: await counterValue(metrics, 'bytesLost'),
      drained,
    };
    logger.info('agent stopped', { ...summary });
    return summary;
  }

  private async restoreCheckpoint(): Promise<{ entries: CheckpointEntry[]; unusable: boolean }> {
    const { config, logger, metrics } = this.deps;
    const outcome = await this.store.load();
    for (const problem of outcome.problems) logger.warn('checkpoint generation unusable', { problem });
    if (outcome.source === 'previous') {
      metrics.checkpointFallbacks.inc();
      logger.warn('using the previous checkpoint generation; lines after it are sent again (duplicates, no loss)');
    }
    if (outcome.source === 'none') {
      if (outcome.problems.length > 0) {
        metrics.checkpointFallbacks.inc();
        logger.error('no usable checkpoint generation; reading every file on disk from its start (duplicates, no loss)');
        return { entries: [], unusable: true };
      }
      logger.info('no checkpoint yet', { startAt: config.startAt });
      return { entries: [], unusable: false };
    }
    this.progressAt = Date.parse(outcome.data.progressAt);
    logger.info('checkpoint restored', {
      generation: outcome.source,
      files: outcome.data.files.length,
      writtenAt: outcome.data.writtenAt,
      ...(outcome.upgradedFrom ? { upgradedFromVersion: outcome.upgradedFrom } : {}),
    });
    if (config.replay) {
      const acknowledged = outcome.data.files.reduce((sum, file) => sum + file.offset, 0);
      logger.warn('--replay: every file on disk is sent again from its start, whatever the checkpoint says', {
        checkpointFiles: outcome.data.files.length,
        acknowledgedBytesSentAgain: acknowledged,
      });
    }
    return { entries: outcome.data.files, unusable: false };
  }

  /**
   * With a transactional sink, the checkpoint committed with the last transaction wins over the
   * local file: it names exactly the lines whose events the sink holds, while the local file is
   * written after each commit and may lag behind it (its lines would be sent twice). The local
   * file is used only when the sink never committed one (the first start in this mode).
   */
  private async restoreCommittedCheckpoint(
    transactions: SinkTransactions,
    local: { entries: CheckpointEntry[]; unusable: boolean },
  ): Promise<{ entries: CheckpointEntry[]; unusable: boolean }> {
    const { logger } = this.deps;
    const committed = await transactions.committedCheckpoint();
    if (committed === undefined) {
      logger.info(`no checkpoint committed to ${this.deps.sink.name} yet; starting from the local checkpoint`, { files: local.entries.length });
      return local;
    }
    const parsed = parseCheckpoint(committed);
    if ('problem' in parsed) {
      logger.error(`the checkpoint committed to ${this.deps.sink.name} is unusable; starting from the local checkpoint (duplicates, no loss)`, {
        problem: parsed.problem,
      });
      return local;
    }
    this.progressAt = Date.parse(parsed.document.progressAt);
    logger.info(`checkpoint restored from the last transaction committed to ${this.deps.sink.name} (it wins over the local file)`, {
      files: parsed.document.files.length,
      writtenAt: parsed.document.writtenAt,
    });
    return { entries: parsed.document.files, unusable: false };
  }

  /** The checkpoint a transaction commits: dead-lettered lines are on disk before it passes them. */
  private checkpointAfter(positions: ReadonlyMap<SourceFile, number>): CheckpointDocument {
    this.deadLetter.sync();
    const now = new Date();
    return checkpointDocument(this.source?.checkpointEntries(positions) ?? [], now, now);
  }

  private onFenced(error: SinkFencedError): void {
    this.deps.logger.error('stopped producing: another agent took over this agent\'s identity in the sink', { error: error.message });
    this.resolveFenced(error);
  }

  /** Writes the checkpoint when what it would hold changed since the last write. */
  private writeCheckpoint(): Promise<void> {
    // One write at a time: the timer must not start a write while the previous one renames.
    this.checkpointWriting = this.checkpointWriting.then(async () => {
      const { metrics, logger } = this.deps;
      if (!this.source) return;
      const entries = this.source.checkpointEntries();
      const signature = signatureOf(entries);
      const sizes = sizesOf(entries);
      if (signature === this.writtenSignature && !this.lastCheckpointError) {
        // Nothing moved. Files that grew meanwhile are recorded now and then, not every interval:
        // their sizes bound the byte range reported lost if they vanish while the agent is down.
        const sizeRefreshDue = Date.now() - this.checkpointWrittenAt >= SIZE_REFRESH_INTERVALS * this.deps.config.checkpointIntervalMs;
        if (sizes === this.writtenSizes || !sizeRefreshDue) return;
      }
      try {
        this.deadLetter.sync(); // Dead-lettered lines must be on disk before the checkpoint passes them.
        await this.store.write(entries, new Date(this.progressAt));
        this.writtenSignature = signature;
        this.writtenSizes = sizes;
        this.checkpointWrittenAt = Date.now();
        metrics.checkpointWrites.inc();
        if (this.lastCheckpointError) logger.info('checkpoint writable again');
        this.lastCheckpointError = undefined;
      } catch (error) {
        if (!this.lastCheckpointError) logger.error('writing the checkpoint failed', { error: (error as Error).message });
        this.lastCheckpointError = (error as Error).message;
      }
    });
    return this.checkpointWriting;
  }

  /** The log directory exists and holds the log; not ready otherwise once the start-up grace is over. */
  private logDirectoryCheck(): { ok: boolean; detail: string } {
    const { config } = this.deps;
    const state = this.source?.directoryState();
    if (!state) return { ok: true, detail: 'starting' };
    const inGrace = Date.now() - this.startedAt < config.logDirGraceMs;
    const grace = inGrace ? ` (still within the start-up grace, --log-dir-grace-ms ${config.logDirGraceMs})` : '';
    if (!state.listable) {
      return { ok: inGrace, detail: `log directory ${state.directory} does not exist or cannot be listed; is --path right?${grace}` };
    }
    if (!state.logFileFound) {
      return { ok: inGrace, detail: `no ${state.liveName} (nor any backup of it) in ${state.directory}; is --path right?${grace}` };
    }
    return { ok: true, detail: state.directory };
  }

  private liveFigures(): LiveFigures {
    const files = this.source?.files() ?? [];
    const now = Date.now();
    return {
      filesOpen: this.source?.openHandles() ?? 0,
      unreadableFiles: this.unreadableFiles().length,
      inflightBytes: this.commits.inflightBytes,
      checkpointAgeSeconds: Math.max(0, (now - this.progressAt) / 1000),
      lagSeconds: this.lagSeconds(files, now),
      files: files.map((file) => ({ fingerprint: file.key, path: file.path, lagBytes: Math.max(0, file.size - file.ackedOffset) })),
    };
  }

  /**
   * Age of the oldest line not yet acknowledged: from the stageTimestamp of the oldest batch in
   * flight (or being filled); when nothing is in flight but a file has unread bytes, from that
   * file's mtime (its unread lines were written no later than that).
   */
  private lagSeconds(files: Array<{ size: number; ackedOffset: number; mtimeMs: number }>, now: number): number {
    const inFlight = [this.commits.oldestPendingAtMs, this.batcher.oldestOpenAtMs].filter((time): time is number => time !== undefined);
    if (inFlight.length > 0) return Math.max(0, (now - Math.min(...inFlight)) / 1000);
    const unread = files.filter((file) => file.size > file.ackedOffset).map((file) => file.mtimeMs);
    if (unread.length > 0) return Math.max(0, (now - Math.min(...unread)) / 1000);
    return 0;
  }

  private progressSnapshot(): { lagBytes: number; files: number; inflightBytes: number } {
    const files = this.source?.files() ?? [];
    const lagBytes = files.reduce((sum, file) => sum + Math.max(0, file.size - file.ackedOffset), 0);
    return { lagBytes, files: files.length, inflightBytes: this.commits.inflightBytes };
  }

  private checkCaughtUp(): void {
    if (!this.source?.caughtUp) return;
    if (!this.batcher.empty) {
      this.batcher.seal();
      return;
    }
    if (!this.delivery.idle) return;
    for (const resolve of this.caughtUpListeners.splice(0)) resolve();
    clearInterval(this.caughtUpWaitTimer);
    this.caughtUpWaitTimer = undefined;
  }
}

/** What a checkpoint holds, minus the sizes: a file growing alone does not make it due. */
function signatureOf(entries: CheckpointEntry[]): string {
  return entries
    .map((entry) => `${entry.fingerprint.hash}:${entry.offset}:${entry.completed ? 1 : 0}:${entry.path}`)
    .sort()
    .join('\n');
}

function sizesOf(entries: CheckpointEntry[]): string {
  return entries
    .map((entry) => `${entry.fingerprint.hash}:${entry.size}`)
    .sort()
    .join('\n');
}
