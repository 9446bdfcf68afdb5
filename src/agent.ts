import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { CommitTracker } from './checkpoint/commit-tracker.js';
import type { AgentConfig } from './config.js';
import type { AgentMetrics } from './observability/metrics.js';
import { counterValue, ProgressReporter } from './observability/progress-reporter.js';
import { Batcher } from './pipeline/batcher.js';
import { DeadLetterFile } from './pipeline/dead-letter.js';
import { Delivery } from './pipeline/delivery.js';
import { LineHandler } from './pipeline/line-handler.js';
import type { Processor } from './pipeline/processor.js';
import type { Sink } from './sinks/sink.js';
import { DirectoryWatcher } from './source/directory-watcher.js';
import { FileTracker, type RememberedFile } from './source/file-tracker.js';
import { decompressedSize, endOfLastCompleteLine } from './source/start-position.js';
import { Tailer } from './source/tailer.js';
import type { TrackedFile } from './source/tracked-file.js';

/** Lines longer than this are not kept whole in memory whatever --max-line-bytes says. */
const HARD_LINE_CAP_BYTES = 64 * 1024 * 1024;

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
  private readonly commits: CommitTracker<TrackedFile>;
  private readonly delivery: Delivery<TrackedFile>;
  private readonly batcher: Batcher<TrackedFile>;
  private readonly deadLetter: DeadLetterFile;
  private tracker?: FileTracker;
  private tailer?: Tailer;
  private watcher?: DirectoryWatcher;
  private progress?: ProgressReporter;
  private checkpointTimer?: NodeJS.Timeout;
  private caughtUpTimer?: NodeJS.Timeout;
  /** Checks often while someone waits for the catch-up to end (`--exit-when-caught-up`). */
  private caughtUpWaitTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private checkpointWrittenAt = Date.now();
  private checkpointWriting: Promise<void> = Promise.resolve();
  private lastCheckpointError?: string;
  private stopping?: Promise<AgentSummary>;
  private readonly caughtUpListeners: Array<() => void> = [];
  /** Checkpoint entries not matched to a file yet; kept so an unreadable file is not forgotten. */
  private rememberedAtStart = new Map<string, RememberedFile>();

  constructor(private readonly deps: AgentDependencies) {
    const { config, metrics, logger } = deps;
    metrics.sinkReadyFrom(() => deps.sink.health().ready);
    this.store = new CheckpointStore(config.checkpointDir);
    this.deadLetter = new DeadLetterFile(config.deadLetterDir);
    this.commits = new CommitTracker<TrackedFile>((file, offset) => {
      file.ackedOffset = Math.max(file.ackedOffset, offset);
    });
    this.delivery = new Delivery({
      sink: deps.sink,
      commits: this.commits,
      maxInflightBytes: config.maxInflightBytes,
      maxInflightBatches: config.maxInflightBatches,
      retryMinMs: config.retryMinMs,
      retryMaxMs: config.retryMaxMs,
      metrics,
      logger,
    });
    this.batcher = new Batcher<TrackedFile>({
      maxEvents: config.batchMaxEvents,
      maxBytes: config.batchMaxBytes,
      lingerMs: config.batchLingerMs,
      onSeal: (batch, commit) => this.delivery.submit(batch, commit),
    });
  }

  /** Restores the checkpoint, starts the sink and begins reading. */
  async start(): Promise<void> {
    const { config, logger, metrics } = this.deps;
    await this.store.ensureDirectory();
    const remembered = await this.restoreCheckpoint();
    await this.deps.sink.start();
    const directory = path.dirname(config.logPath);
    this.tracker = new FileTracker({
      livePath: config.logPath,
      maxLineBytes: config.maxLineBytes,
      hardCapBytes: Math.max(HARD_LINE_CAP_BYTES, config.maxLineBytes),
      remembered,
      startOfUnknownFile: async ({ handle, size, gzipPath }) => {
        if (config.startAt !== 'end') return 0;
        if (gzipPath) return decompressedSize(gzipPath);
        return handle ? endOfLastCompleteLine(handle, size) : 0;
      },
      logger,
      metrics,
    });
    // The path of the file a line came from, built once per file and name, not once per line.
    let named: { file?: TrackedFile; displayName?: string; path: string } = { path: '' };
    const pathOf = (file: TrackedFile): string => {
      if (named.file !== file || named.displayName !== file.displayName) {
        named = { file, displayName: file.displayName, path: path.join(directory, file.displayName) };
      }
      return named.path;
    };
    const lineHandler = new LineHandler<TrackedFile>({
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
    this.tailer = new Tailer({
      directory,
      tracker: this.tracker,
      pollIntervalMs: config.pollIntervalMs,
      onLine: (file, line) => lineHandler.handle(file, pathOf(file), line),
      waitForCapacity: () => this.delivery.waitForCapacity(),
      logger,
    });
    this.watcher = new DirectoryWatcher(
      config.logPath,
      { onFilesChanged: () => this.tailer?.filesChanged(), onFileGrew: () => this.tailer?.fileGrew() },
      logger,
    );
    this.watcher.start();
    this.checkpointTimer = setInterval(() => void this.writeCheckpoint(), config.checkpointIntervalMs);
    this.progress = new ProgressReporter(config.progressIntervalMs, metrics, () => this.progressSnapshot(), logger);
    this.progress.start();
    this.caughtUpTimer = setInterval(() => this.checkCaughtUp(), Math.min(100, config.batchLingerMs + 10));
    this.running = this.tailer.run().catch((error: unknown) => {
      logger.error('reading loop failed', { error: (error as Error).stack });
      throw error;
    });
    logger.info('agent started', {
      path: config.logPath,
      sink: this.deps.sink.name,
      checkpointDir: config.checkpointDir,
      startAt: config.startAt,
    });
  }

  /** Resolves the first time every file is read to its end and every batch is acknowledged. */
  whenCaughtUp(): Promise<void> {
    // The regular check (every 100 ms) also seals batches early when the reader is idle; checking
    // that often in steady state would mean many small batches and fsyncs. A catch-up run that
    // waits for its end checks every 10 ms instead, so it does not idle for up to two periods.
    this.caughtUpWaitTimer ??= setInterval(() => this.checkCaughtUp(), CAUGHT_UP_WAIT_CHECK_MS);
    return new Promise((resolve) => this.caughtUpListeners.push(resolve));
  }

  /** Readiness: the checkpoint can be written and the sink delivers. */
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
    return {
      ready: checkpointOk && sinkHealth.ready,
      checks: { checkpoint: { ok: checkpointOk, detail: checkpointDetail }, sink: { ok: sinkHealth.ready, detail: sinkHealth.detail } },
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
    this.tailer?.stop();
    await this.running?.catch(() => undefined);
    await this.watcher?.stop();
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

  private async restoreCheckpoint(): Promise<Map<string, RememberedFile>> {
    const { config, logger, metrics } = this.deps;
    const remembered = new Map<string, RememberedFile>();
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
        return remembered;
      }
      logger.info('no checkpoint yet', { startAt: config.startAt });
      return remembered;
    }
    if (config.startAt === 'beginning') {
      logger.info('--start-at beginning: ignoring the checkpoint and replaying every file on disk');
      return remembered;
    }
    for (const file of outcome.data.files) remembered.set(file.fingerprint.hash, file);
    this.rememberedAtStart = remembered;
    logger.info('checkpoint restored', { generation: outcome.source, files: outcome.data.files.length, writtenAt: outcome.data.writtenAt });
    return remembered;
  }

  private snapshot(): RememberedFile[] {
    const directory = path.dirname(this.deps.config.logPath);
    const files: RememberedFile[] = [...this.rememberedAtStart.values()];
    for (const file of this.tracker?.ordered() ?? []) {
      const physical = file.physicals[0];
      files.push({
        fingerprint: file.fingerprint,
        offset: file.ackedOffset,
        size: Math.max(file.knownSize, file.ackedOffset),
        completed: file.completed,
        path: path.join(directory, file.displayName),
        dev: physical?.dev ?? 0,
        ino: physical?.ino ?? 0,
      });
    }
    return files;
  }

  private writeCheckpoint(): Promise<void> {
    // One write at a time: the timer must not start a write while the previous one renames.
    this.checkpointWriting = this.checkpointWriting.then(async () => {
      const { metrics, logger } = this.deps;
      try {
        this.deadLetter.sync(); // Dead-lettered lines must be on disk before the checkpoint passes them.
        const files = this.snapshot();
        await this.store.write(files);
        this.checkpointWrittenAt = Date.now();
        metrics.checkpointWrites.inc();
        for (const file of this.tracker?.ordered() ?? []) {
          if (file.knownSize > 0) metrics.fileLagBytes.set({ file: file.key }, Math.max(0, file.knownSize - file.ackedOffset));
        }
        if (this.lastCheckpointError) logger.info('checkpoint writable again');
        this.lastCheckpointError = undefined;
      } catch (error) {
        if (!this.lastCheckpointError) logger.error('writing the checkpoint failed', { error: (error as Error).message });
        this.lastCheckpointError = (error as Error).message;
      }
      metrics.checkpointAge.set((Date.now() - this.checkpointWrittenAt) / 1000);
    });
    return this.checkpointWriting;
  }

  private progressSnapshot(): { lagBytes: number; files: number; inflightBytes: number } {
    const files = this.tracker?.ordered() ?? [];
    const lagBytes = files.reduce((sum, file) => sum + Math.max(0, file.knownSize - file.ackedOffset), 0);
    return { lagBytes, files: files.length, inflightBytes: this.commits.inflightBytes };
  }

  private checkCaughtUp(): void {
    if (!this.tailer?.caughtUp) return;
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

