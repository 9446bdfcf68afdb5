import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** Size of one read. Large enough to amortise syscalls, small enough to keep memory flat. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Reads a file's (decompressed) bytes in order from a given offset. `read` returns an empty
 * buffer when nothing more is available right now (a plain file may still grow).
 */
export interface ChunkSource {
  read(): Promise<Buffer>;
  /** True once the source can never yield more bytes (a complete .gz read to its end). */
  readonly exhausted: boolean;
  close(): Promise<void>;
}

/** A plain file, read with positional reads through a handle the agent keeps open, so a
 *  rename or unlink by the rotation never takes the remaining bytes away. */
export class PlainChunkSource implements ChunkSource {
  readonly exhausted = false;

  constructor(
    private readonly handle: FileHandle,
    private position: number,
  ) {}

  async read(): Promise<Buffer> {
    // A fresh buffer per chunk: lines are slices of it and live until their batch is acknowledged.
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await this.handle.read(buffer, 0, CHUNK_BYTES, this.position);
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    // The handle belongs to the tracked file; it closes it.
  }
}

/**
 * A gzipped backup, decompressed from its start with the first `skip` bytes discarded: gzip
 * cannot seek, so resuming mid-way means decompressing up to the checkpoint.
 * A stream that ends without a valid gzip trailer (a `.gz` still being written, or cut short)
 * fails the read with GzipIncompleteError; the caller retries later from its last complete line.
 */
export class GzipChunkSource implements ChunkSource {
  private readonly iterator: AsyncIterator<Buffer>;
  private readonly stream: NodeJS.ReadableStream & { destroy(): void };
  private toSkip: number;
  private ended = false;

  constructor(path: string, skip: number) {
    this.toSkip = skip;
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    const input = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    input.on('error', (error) => gunzip.destroy(error));
    this.stream = input.pipe(gunzip);
    this.iterator = (this.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  get exhausted(): boolean {
    return this.ended;
  }

  async read(): Promise<Buffer> {
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
    this.stream.destroy();
  }
}

export class GzipIncompleteError extends Error {
  constructor(message: string) {
    super(`gzip stream incomplete or corrupt: ${message}`);
    this.name = 'GzipIncompleteError';
  }
}
