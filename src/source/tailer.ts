import path from 'node:path';
import type { Logger } from 'winston';
import { CopyMovedError, GzipChunkSource, GzipIncompleteError, PlainChunkSource } from './chunk-source.js';
import type { FileTracker } from './file-tracker.js';
import { stillStartsWith } from './fingerprint.js';
import type { Line } from './line-splitter.js';
import type { TrackedFile } from './tracked-file.js';
import { WakeSignal } from './wake-signal.js';

export interface TailerOptions {
  directory: string;
  tracker: FileTracker;
  pollIntervalMs: number;
  /** Receives every complete line, in file order, files in the order they were written. */
  onLine(file: TrackedFile, line: Line): void;
  /** Resolves when the pipeline has room for more; reading pauses until then (the file is the buffer). */
  waitForCapacity(): Promise<void>;
  logger: Logger;
}

/**
 * The reading loop: scans the directory, picks the oldest file with unread bytes, reads a chunk,
 * splits it into lines and hands them on. A file that was rotated away is read to its end before
 * the next one; the live file is read as it grows.
 */
export class Tailer {
  private readonly wake = new WakeSignal();
  private stopped = false;
  private scanDue = true;
  private lastScanAt = 0;
  /** Files whose last read found nothing new; cleared when the directory says something grew. */
  private readonly drained = new Set<TrackedFile>();
  private idle = false;
  private readonly stopRequested: Promise<void>;
  private resolveStop!: () => void;

  constructor(private readonly options: TailerOptions) {
    this.stopRequested = new Promise((resolve) => {
      this.resolveStop = resolve;
    });
  }

  /** True when every file was read as far as it goes (only a growing live file may have more). */
  get caughtUp(): boolean {
    return this.idle;
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

  stop(): void {
    this.stopped = true;
    this.resolveStop();
    this.wake.notify();
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      if (this.scanDue || Date.now() - this.lastScanAt >= this.options.pollIntervalMs) {
        this.scanDue = false;
        this.lastScanAt = Date.now();
        this.drained.clear();
        await this.options.tracker.scan();
      }
      const file = this.nextToRead();
      if (!file) {
        this.idle = true;
        await this.wake.wait(Math.max(1, this.options.pollIntervalMs - (Date.now() - this.lastScanAt)));
        continue;
      }
      this.idle = false;
      // A sink that is down never frees capacity: stopping must not wait for it.
      await Promise.race([this.options.waitForCapacity(), this.stopRequested]);
      if (this.stopped) break;
      await this.readChunk(file);
    }
  }

  private nextToRead(): TrackedFile | undefined {
    for (const file of this.options.tracker.ordered()) {
      if (file.readComplete || this.drained.has(file)) continue;
      if (file.reading || this.openReader(file)) return file;
    }
    return undefined;
  }

  /** Chooses the copy to read from: the plain file while one is held open, else a complete .gz. */
  private openReader(file: TrackedFile): boolean {
    const readFrom = file.splitter.completeOffset;
    const plain = file.physicals
      .filter((physical) => !physical.compressed && physical.handle)
      .sort((a, b) => b.size - a.size)[0];
    if (plain?.handle) {
      file.restartFromLastCompleteLine();
      file.reading = { physical: plain, chunks: new PlainChunkSource(plain.handle, readFrom) };
      return true;
    }
    const gzip = file.physicals.find(
      (physical) => physical.compressed && physical.onDisk && file.gzipRetryAtSize === undefined,
    );
    if (gzip) {
      file.restartFromLastCompleteLine();
      file.reading = { physical: gzip, chunks: new GzipChunkSource(path.join(this.options.directory, gzip.name), gzip, readFrom) };
      return true;
    }
    return false;
  }

  private async readChunk(file: TrackedFile): Promise<void> {
    const reading = file.reading!;
    let chunk: Buffer;
    try {
      chunk = await reading.chunks.read();
    } catch (error) {
      await this.giveUpOnCopy(file, error);
      return;
    }
    if (chunk.length > 0) {
      if (file.live && !(await this.stillSameFile(file))) return;
      file.splitter.push(chunk, (line) => this.options.onLine(file, line));
      return;
    }
    const canGrow = !reading.physical.compressed && file.live;
    if (canGrow) {
      this.drained.add(file);
      return;
    }
    if (!reading.physical.compressed && !(await this.atEnd(file))) return;
    // Rotated away and read to its end: its last bytes are final even without a newline.
    file.splitter.flushFinalLine((line) => this.options.onLine(file, line));
    file.readComplete = true;
    await reading.chunks.close();
    file.reading = undefined;
  }

  /**
   * Only the live file is ever truncated in place (copytruncate). A read that raced a truncation
   * may hold bytes of the new content at the old offsets, which would pass for the rest of the old
   * file: so after each read of the live file its first line is checked, and on a mismatch the
   * chunk is discarded and the next scan splits the generations (the old one goes on from its copy).
   */
  private async stillSameFile(file: TrackedFile): Promise<boolean> {
    const handle = file.reading!.physical.handle;
    if (!handle || (await stillStartsWith(handle, file.fingerprint))) return true;
    await file.reading!.chunks.close();
    file.reading = undefined;
    file.restartFromLastCompleteLine();
    this.scanDue = true;
    return false;
  }

  /** A rotated plain file is finished once a fresh fstat agrees nothing follows what was read. */
  private async atEnd(file: TrackedFile): Promise<boolean> {
    const handle = file.reading?.physical.handle;
    if (!handle) return true;
    const { size } = await handle.stat();
    return size <= file.splitter.completeOffset + file.splitter.pendingBytes;
  }

  private async giveUpOnCopy(file: TrackedFile, error: unknown): Promise<void> {
    const reading = file.reading!;
    await reading.chunks.close();
    file.reading = undefined;
    file.restartFromLastCompleteLine();
    if (error instanceof CopyMovedError) {
      // Renamed or deleted since the last scan: the next scan finds where it went (or that it is gone).
      this.drained.add(file);
      this.scanDue = true;
      this.options.logger.debug('a copy moved before it was opened; looking for it again', { file: reading.physical.name });
      return;
    }
    if (error instanceof GzipIncompleteError) {
      file.gzipRetryAtSize = reading.physical.size;
      this.options.logger.warn('gzip backup is incomplete; it is read again when it changes', {
        file: reading.physical.name,
        readTo: file.splitter.completeOffset,
        error: error.message,
      });
      return;
    }
    this.drained.add(file);
    this.options.logger.error('reading an audit log file failed; retrying after the next scan', {
      file: reading.physical.name,
      error: (error as Error).message,
    });
  }
}
