import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** Size of one read. Large enough to amortise syscalls, small enough to keep memory flat. */
export const CHUNK_BYTES = 256 * 1024;
/** A read into less room than this takes a fresh buffer instead: small reads cost a syscall each. */
export const MIN_READ_BYTES = 64 * 1024;

/**
 * Reads a file's (decompressed) bytes in order from a given offset. `read` returns an empty
 * buffer when nothing more is available right now (a plain file may still grow).
 */
export interface ChunkSource {
  read(): Promise<Buffer>;
  close(): Promise<void>;
}

/** A plain file, read with positional reads through a handle the agent keeps open, so a
 *  rename or unlink by the rotation never takes the remaining bytes away. */
export class PlainChunkSource implements ChunkSource {
  /** Buffer the reads fill one after another; lines are slices of it. */
  private slab = Buffer.alloc(0);
  private slabUsed = 0;

  constructor(
    private readonly handle: FileHandle,
    private position: number,
  ) {}

  /**
   * Reads into the unused rest of the current buffer, and takes a new one only when the rest is
   * short. A buffer per read would cost CHUNK_BYTES for each small read of a live file that grows
   * by a few kilobytes between wake-ups (and for each read that finds nothing), and keep all of it
   * alive while any of its lines waits for its acknowledgement. The filled part of a buffer is
   * never written again, so lines handed out earlier stay intact.
   */
  async read(): Promise<Buffer> {
    if (this.slab.length - this.slabUsed < MIN_READ_BYTES) {
      this.slab = Buffer.allocUnsafe(CHUNK_BYTES);
      this.slabUsed = 0;
    }
    const start = this.slabUsed;
    const { bytesRead } = await this.handle.read(this.slab, start, this.slab.length - start, this.position);
    this.position += bytesRead;
    this.slabUsed += bytesRead;
    return this.slab.subarray(start, start + bytesRead);
  }

  async close(): Promise<void> {
    // The handle belongs to the file's reader; it closes it.
  }
}

/** The device and inode a copy was identified at. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * A gzipped backup, decompressed from its start with the first `skip` bytes discarded: gzip
 * cannot seek, so resuming mid-way means decompressing up to the checkpoint.
 * A stream that ends without a valid gzip trailer (a `.gz` still being written, or cut short)
 * fails the read with GzipIncompleteError; the caller retries later from its last complete line.
 *
 * A `.gz` is opened by name only when reading starts, and names do not always stay with one file:
 * logrotate's numbered copies shift (`audit.log.2.gz` becomes `.3.gz` and the next copy takes its
 * name). So the file opened must be the inode the copy was identified at; otherwise the read
 * fails with CopyMovedError and the caller looks for the copy again.
 */
export class GzipChunkSource implements ChunkSource {
  private iterator: AsyncIterator<Buffer> | undefined;
  private stream: (NodeJS.ReadableStream & { destroy(): void }) | undefined;
  private toSkip: number;
  private ended = false;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly identity: FileIdentity,
    skip: number,
  ) {
    this.toSkip = skip;
  }

  async read(): Promise<Buffer> {
    this.iterator ??= await this.open();
    while (!this.ended) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.iterator.next();
      } catch (error) {
        throw new GzipIncompleteError((error as Error).message);
      }
      if (next.done) {
        this.ended = true;
        break;
      }
      let chunk = next.value;
      if (this.toSkip > 0) {
        const skipped = Math.min(this.toSkip, chunk.length);
        this.toSkip -= skipped;
        chunk = chunk.subarray(skipped);
      }
      if (chunk.length > 0) return chunk;
    }
    return Buffer.alloc(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream?.destroy();
  }

  private async open(): Promise<AsyncIterator<Buffer>> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CopyMovedError(this.path);
      throw error;
    }
    const { dev, ino } = await handle.stat();
    if (dev !== this.identity.dev || ino !== this.identity.ino || this.closed) {
      await handle.close();
      throw new CopyMovedError(this.path);
    }
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    const input = handle.createReadStream({ highWaterMark: CHUNK_BYTES });
    input.on('error', (error) => gunzip.destroy(error));
    this.stream = input.pipe(gunzip);
    return (this.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
}

/** The name no longer leads to the copy that was identified there (renamed or deleted since). */
export class CopyMovedError extends Error {
  constructor(path: string) {
    super(`${path} no longer holds the copy identified there`);
    this.name = 'CopyMovedError';
  }
}

export class GzipIncompleteError extends Error {
  constructor(message: string) {
    super(`gzip stream incomplete or corrupt: ${message}`);
    this.name = 'GzipIncompleteError';
  }
}
