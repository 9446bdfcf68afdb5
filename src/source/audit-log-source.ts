import { setTimeout as delay } from 'node:timers/promises';
import type { CheckpointEntry } from '../checkpoint/checkpoint-schema.js';
import { DirectoryWatcher } from './directory-watcher.js';
import { FileDiscovery } from './file-discovery.js';
import type { FileReader, SourceFile } from './file-reader.js';
import type { Line } from './line-splitter.js';
import type { SourceEvents } from './source-events.js';
import type { StartSettings } from './start-position.js';
import type { UnreadableFile } from './unreadable-files.js';
import { WakeSignal } from './wake-signal.js';

export interface AuditLogSourceOptions {
  /** The live audit log; its backups are looked for in the same directory. */
  livePath: string;
  maxLineBytes: number;
  /** Lines longer than this are not kept whole in memory. */
  hardCapBytes: number;
  /** Directory scan interval: the safety net behind the watcher's hints. */
  pollIntervalMs: number;
  /** The checkpoint's entries at start. */
  checkpoint: CheckpointEntry[];
  start: StartSettings;
  events: SourceEvents;
  /** Receives every complete line, in file order, files in the order they were written. */
  onLine(file: SourceFile, line: Line): void;
  /** Whether the pipeline has room for more now; reading pauses until it has (the file is the buffer). */
  hasCapacity(): boolean;
  /** Resolves when the pipeline has room for more. */
  waitForCapacity(): Promise<void>;
  /** Watch the directory for hints (off in unit tests that drive scans themselves). */
  watch?: boolean;
}

/** One tracked file as the agent may see it, for metrics. */
export interface SourceFileStatus {
  key: string;
  path: string;
  /** Bytes the file is known to hold (decompressed). */
  size: number;
  ackedOffset: number;
  /** Latest modification time of its copies, epoch ms. */
  mtimeMs: number;
}

/**
 * The file source: everything between the log directory and the lines handed to the pipeline.
 * Lines come out with their file and end offset; the agent acknowledges them with `ack(file,
 * offset)` once the sink has them, and persists `checkpointEntries()`. What happens on disk
 * (rotations, truncations, losses, unreadable files) is reported through `SourceEvents`.
 *
 * The reading loop scans the directory, picks the oldest file with unread bytes, has its reader
 * read one chunk, and goes on. A file that was rotated away is read to its end before the next
 * one; the live file is read as it grows.
 */
export class AuditLogSource {
  private readonly discovery: FileDiscovery;
  private readonly wake = new WakeSignal();
  private watcher?: DirectoryWatcher;
  private stopped = false;
  private scanDue = true;
  private lastScanAt = 0;
  /** Files whose last read found nothing new; cleared when the directory says something grew. */
  private readonly drained = new Set<FileReader>();
  private idle = false;
  private readonly stopRequested: Promise<void>;
  private resolveStop!: () => void;
  private running?: Promise<void>;
  /** The one wait for capacity while the pipeline is full, shared by the loop's turns. */
  private capacityFreed?: Promise<void>;

  constructor(private readonly options: AuditLogSourceOptions) {
    this.discovery = new FileDiscovery({
      livePath: options.livePath,
      maxLineBytes: options.maxLineBytes,
      hardCapBytes: options.hardCapBytes,
      checkpoint: options.checkpoint,
      start: options.start,
      events: options.events,
    });
    this.stopRequested = new Promise((resolve) => {
      this.resolveStop = resolve;
    });
  }

  /** Starts watching and reading; the returned promise settles when reading stops. */
  start(): Promise<void> {
    if (this.options.watch !== false) {
      this.watcher = new DirectoryWatcher(this.options.livePath, {
        onFilesChanged: () => this.filesChanged(),
        onFileGrew: () => this.fileGrew(),
        onWatchFailed: (error) => this.options.events.watchFailed({ directory: this.discovery.naming.directory, error }),
      });
      this.watcher.start();
    }
    this.running ??= this.run();
    return this.running;
  }

  /** Stops reading (a read in progress completes) and watching. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resolveStop();
    this.wake.notify();
    await this.running?.catch(() => undefined);
    await this.watcher?.stop();
    await this.discovery.close();
  }

  /**
   * True when every file was read as far as it goes (only a growing live file may have more) and
   * every file that left the disk was forgotten or reported lost. Files that cannot be read do not
   * hold it up: `unreadableFiles()` tells what may still be unread.
   */
  get caughtUp(): boolean {
    return this.idle && !this.discovery.decisionsPending;
  }

  /** Something in the directory was created, renamed or removed. */
  filesChanged(): void {
    this.scanDue = true;
    this.wake.notify();
  }

  /** A file grew. */
  fileGrew(): void {
    this.drained.clear();
    this.wake.notify();
  }

  /** Every line of `file` before `offset` was acknowledged by the sink. */
  ack(file: SourceFile, offset: number): void {
    (file as FileReader).ack(offset);
  }

  /** The entries the checkpoint must hold now; with `after`, once those positions are acknowledged too. */
  checkpointEntries(after?: ReadonlyMap<SourceFile, number>): CheckpointEntry[] {
    return this.discovery.checkpointEntries(after as ReadonlyMap<FileReader, number> | undefined);
  }

  files(): SourceFileStatus[] {
    return this.discovery.status().map(({ reader, knownSize, mtimeMs }) => ({
      key: reader.key,
      path: reader.path,
      size: knownSize,
      ackedOffset: reader.ackedOffset,
      mtimeMs,
    }));
  }

  /** The files of the log that cannot be read now. */
  unreadableFiles(): UnreadableFile[] {
    return this.discovery.unreadableFiles();
  }

  openHandles(): number {
    return this.discovery.openHandles();
  }

  /** Whether the log directory can be listed and holds any file of the log. */
  directoryState(): { listable: boolean; logFileFound: boolean; directory: string; liveName: string } {
    return this.discovery.directoryState();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.scanDue || Date.now() - this.lastScanAt >= this.options.pollIntervalMs) {
        this.scanDue = false;
        this.lastScanAt = Date.now();
        this.drained.clear();
        await this.discovery.scan();
      }
      const reader = this.nextToRead();
      if (!reader) {
        this.idle = true;
        await this.wake.wait(Math.max(1, this.options.pollIntervalMs - (Date.now() - this.lastScanAt)));
        continue;
      }
      this.idle = false;
      if (!this.options.hasCapacity()) {
        await this.capacityOrNextScan();
        continue;
      }
      const outcome = await reader.read((line) => this.options.onLine(reader, line));
      if (outcome === 'idle' || outcome === 'failed') this.drained.add(reader);
      if (outcome === 'rescan') {
        this.drained.add(reader);
        this.scanDue = true;
      }
    }
  }

  /**
   * Waits for room in the pipeline, for stop, or for the next scan. A sink that is down frees no
   * room: stopping must not wait for it, and the directory is still scanned every poll meanwhile,
   * so the files the writer creates during the outage are found, held open and their sizes
   * checkpointed: a maxbackup deletion can then neither take their bytes nor their loss report away.
   */
  private async capacityOrNextScan(): Promise<void> {
    this.capacityFreed ??= this.options.waitForCapacity().finally(() => {
      this.capacityFreed = undefined;
    });
    const untilScan = new AbortController();
    const scanDue = delay(Math.max(1, this.options.pollIntervalMs - (Date.now() - this.lastScanAt)), undefined, { signal: untilScan.signal });
    await Promise.race([this.capacityFreed, this.stopRequested, scanDue.catch(() => undefined)]);
    untilScan.abort();
  }

  private nextToRead(): FileReader | undefined {
    for (const reader of this.discovery.ordered()) {
      if (this.drained.has(reader)) continue;
      if (reader.readable()) return reader;
    }
    return undefined;
  }
}
