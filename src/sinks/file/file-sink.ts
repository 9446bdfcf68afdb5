import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import type { Batch } from '../../pipeline/audit-record.js';
import { jsonLineParts } from '../json-lines.js';
import type { Sink, SinkHealth } from '../sink.js';
import { cutTornLastLine } from './torn-last-line.js';
import { writeAll } from './write-all.js';

export interface FileSinkConfig {
  path: string;
  /** fsync after every batch, so "acknowledged" means "on disk". */
  fsync: boolean;
}

/**
 * Appends events as JSON lines to one file. Batches are written one after another even when
 * several are sent at once, so a batch's lines are never interleaved with another's. The file is
 * not rotated by the agent: point logrotate (copytruncate) at it if it must be.
 */
export class FileSink implements Sink {
  readonly name = 'file';
  readonly shipsValueOnly = true;
  private handle?: FileHandle;
  private queue: Promise<void> = Promise.resolve();
  private lastError?: string;

  constructor(
    private readonly config: FileSinkConfig,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<void> {
    await mkdir(path.dirname(this.config.path), { recursive: true });
    // Read access too, for the torn-line check: appends still go to the end (O_APPEND).
    this.handle = await open(this.config.path, 'a+', 0o600);
    const cut = await cutTornLastLine(this.handle);
    if (cut > 0) {
      this.logger?.warn('file sink: removed the torn last line an interrupted write left (its events were never acknowledged and are sent again)', {
        file: this.config.path,
        bytes: cut,
      });
    }
  }

  send(batch: Batch): Promise<void> {
    const write = this.queue.then(() => this.write(batch));
    // The chain continues after a failure; the failed batch is rejected to its caller only.
    this.queue = write.catch(() => undefined);
    return write;
  }

  private async write(batch: Batch): Promise<void> {
    if (!this.handle) throw new Error('file sink used before start()');
    try {
      await writeAll(this.handle, jsonLineParts(batch), batch.bytes + batch.records.length);
      if (this.config.fsync) await this.handle.datasync();
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle?.close();
    this.handle = undefined;
  }

  health(): SinkHealth {
    if (!this.handle) return { ready: false, detail: 'output file not open' };
    return this.lastError ? { ready: false, detail: `last write failed: ${this.lastError}` } : { ready: true, detail: this.config.path };
  }
}
