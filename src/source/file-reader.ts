import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CopyMovedError, GzipChunkSource, GzipIncompleteError, PlainChunkSource, type ChunkSource } from './chunk-source.js';
import type { CopiesView, FileCopy } from './file-copy.js';
import { stillStartsWith, type Fingerprint } from './fingerprint.js';
import { LineSplitter, type LineConsumer } from './line-splitter.js';
import type { SourceEvents } from './source-events.js';
import type { CopyReadFailures } from './unreadable-copies.js';

/** What the agent may know of a file its lines come from. */
export interface SourceFile {
  /** The file's identity (fingerprint hash): stable across rename and gzip. */
  readonly key: string;
  /** Full path of the copy a human would look for now. */
  readonly path: string;
}

/** What one read did, so the reading loop knows what to do next. */
export type ReadOutcome =
  /** Lines (or part of one) were read; there may be more. */
  | 'read'
  /** Nothing new in the live file for now. */
  | 'idle'
  /** Read to its end; it can no longer grow. */
  | 'finished'
  /** The copy is not where it was (renamed, replaced, truncated): the directory must be scanned. */
  | 'rescan'
  /** The copy could not be opened or read; it is tried again when `readFailures` says it is due. */
  | 'failed';

export interface FileReaderOptions {
  fingerprint: Fingerprint;
  startOffset: number;
  /** Known from the checkpoint to be read and acknowledged to its end. */
  completed: boolean;
  /** Discovery's view of the file's copies (read-only here). */
  copies: CopiesView;
  directory: string;
  maxLineBytes: number;
  hardCapBytes: number;
  events: SourceEvents;
  /** Where copies that cannot be opened or read are counted, reported and given their retry backoff. */
  readFailures: CopyReadFailures;
}

/**
 * Reads one logical audit log file (one fingerprint), whichever of its copies holds the bytes:
 * the plain file while a handle to it is open (so a rename or unlink by the rotation never takes
 * the remaining bytes away), else a complete `.gz`, decompressed and skipped to the offset.
 *
 * It alone owns the open handles of its plain copies, the line splitter, the read and
 * acknowledged offsets, the gzip state and the finished flag; discovery tells it about copies
 * (adopt, drop) and the agent acknowledges (ack), but neither writes its state.
 * Offsets are in decompressed bytes, so they mean the same in the plain file and in its `.gz`.
 */
export class FileReader implements SourceFile {
  readonly fingerprint: Fingerprint;
  private readonly handles = new Map<Readonly<FileCopy>, FileHandle>();
  private splitter: LineSplitter;
  private acknowledged: number;
  /** Every byte was read and handed on; no more will come. */
  private readDone: boolean;
  private source?: { copy: Readonly<FileCopy>; chunks: ChunkSource };
  /** A .gz found cut short is not read again until its size changes. */
  private incompleteGzip?: { copy: Readonly<FileCopy>; size: number };
  private named = { name: '', path: '' };

  constructor(private readonly options: FileReaderOptions) {
    this.fingerprint = options.fingerprint;
    this.splitter = this.newSplitter(options.startOffset);
    this.acknowledged = options.startOffset;
    this.readDone = options.completed;
  }

  get key(): string {
    return this.fingerprint.hash;
  }

  /** The copy a human would look for: the plain file if there is one, else the newest name. */
  get displayName(): string {
    const copies = this.options.copies.copies;
    const plain = copies.find((copy) => !copy.compressed && copy.onDisk);
    return (plain ?? copies.find((copy) => copy.onDisk) ?? copies[0])?.name ?? '';
  }

  /** Full path of the display copy; the last one known once no copy is left. */
  get path(): string {
    this.rememberName();
    return this.named.path;
  }

  /** Keeps the display copy's name, for when no copy is left (discovery calls it before a copy leaves). */
  rememberName(): void {
    const name = this.displayName;
    if (name && this.named.name !== name) this.named = { name, path: path.join(this.options.directory, name) };
  }

  /** Just past the last complete line handed on. */
  get completeOffset(): number {
    return this.splitter.completeOffset;
  }

  /** How far the bytes were read, the incomplete last line included. */
  get readTo(): number {
    return this.splitter.completeOffset + this.splitter.pendingBytes;
  }

  /** Just past the last acknowledged line. */
  get ackedOffset(): number {
    return this.acknowledged;
  }

  /** Read to its end (it can no longer grow). */
  get finished(): boolean {
    return this.readDone;
  }

  /** Read and acknowledged through its last byte, and no more can come. */
  get completed(): boolean {
    return this.completedAt(this.acknowledged);
  }

  /** Whether it will be completed once every line before `offset` is acknowledged. */
  completedAt(offset: number): boolean {
    return this.readDone && offset >= this.splitter.completeOffset;
  }

  /** Every line before `offset` was acknowledged by the sink. */
  ack(offset: number): void {
    if (offset > this.acknowledged) this.acknowledged = offset;
  }

  /** Takes over the open handle of a plain copy that discovery identified as this file. */
  adopt(copy: Readonly<FileCopy>, handle: FileHandle): void {
    if (this.completed) {
      void handle.close().catch(() => undefined); // Nothing left to read from it.
      return;
    }
    const previous = this.handles.get(copy);
    if (previous && previous !== handle) void previous.close().catch(() => undefined);
    this.handles.set(copy, handle);
  }

  /** Whether the copy can still be read through this reader (a handle open, or being read). */
  holds(copy: Readonly<FileCopy>): boolean {
    return this.handles.has(copy) || this.source?.copy === copy;
  }

  /**
   * Whether a plain copy still starts with this file's first line; undefined when no handle to it
   * is open. A mismatch at the same inode means it was truncated and written again.
   */
  async stillStartsAsBefore(copy: Readonly<FileCopy>): Promise<boolean | undefined> {
    const handle = this.handles.get(copy);
    if (!handle) return undefined;
    return stillStartsWith(handle, this.fingerprint);
  }

  /**
   * The copy no longer belongs to this file (truncated, its inode reused, or gone): its handle is
   * closed, and if it was being read, reading goes on from the last complete line in another copy.
   */
  async drop(copy: Readonly<FileCopy>): Promise<void> {
    if (this.source?.copy === copy) await this.stopReading();
    const handle = this.handles.get(copy);
    this.handles.delete(copy);
    if (this.incompleteGzip?.copy === copy) this.incompleteGzip = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** Closes every handle once the file is completed: its inodes may then be freed and reused. */
  async closeIfCompleted(): Promise<void> {
    if (this.completed) await this.close();
  }

  /** Stops reading and closes every handle (the source stops). */
  async close(): Promise<void> {
    await this.stopReading();
    for (const copy of [...this.handles.keys()]) await this.drop(copy);
  }

  /** Number of handles held open. */
  get openHandles(): number {
    return this.handles.size;
  }

  /** True when there is something this reader could read now. */
  readable(): boolean {
    if (this.readDone) return false;
    return this.source !== undefined || this.chooseCopy() !== undefined;
  }

  /**
   * Reads the next chunk of the file and hands every complete line in it to `consume`, in order.
   * A file that is not live any more and is read to its end hands on its last bytes even without
   * a newline: they are final.
   */
  async read(consume: LineConsumer): Promise<ReadOutcome> {
    if (this.readDone) return 'finished';
    if (!this.source && !this.openSource()) return 'idle';
    const reading = this.source!;
    let chunk: Buffer;
    try {
      chunk = await reading.chunks.read();
    } catch (error) {
      return this.readFailed(reading.copy, error);
    }
    if (this.source !== reading) return 'rescan'; // Dropped while the read was in flight.
    this.options.readFailures.read(reading.copy);
    if (chunk.length > 0) {
      if (this.options.copies.live && !reading.copy.compressed && !(await this.stillSameContent(reading.copy))) return 'rescan';
      this.splitter.push(chunk, consume);
      return 'read';
    }
    if (!reading.copy.compressed && this.options.copies.live) return 'idle';
    if (!reading.copy.compressed && !(await this.atEnd(reading.copy))) return 'read';
    this.splitter.flushFinalLine(consume);
    this.readDone = true;
    await this.stopReading();
    return 'finished';
  }

  /**
   * Chooses the copy to read from: the largest plain file held open, else a complete .gz; a copy
   * that could not be read only once its retry is due.
   */
  private chooseCopy(): Readonly<FileCopy> | undefined {
    const failures = this.options.readFailures;
    let plain: Readonly<FileCopy> | undefined;
    for (const copy of this.handles.keys()) if ((!plain || copy.size > plain.size) && failures.retryDue(copy)) plain = copy;
    if (plain) return plain;
    if (this.incompleteGzip && this.incompleteGzip.size !== this.incompleteGzip.copy.size) this.incompleteGzip = undefined;
    return this.options.copies.copies.find((copy) => copy.compressed && copy.onDisk && this.incompleteGzip?.copy !== copy && failures.retryDue(copy));
  }

  private openSource(): boolean {
    const copy = this.chooseCopy();
    if (!copy) return false;
    this.restartFromLastCompleteLine();
    const handle = this.handles.get(copy);
    const from = this.splitter.completeOffset;
    const chunks = handle
      ? new PlainChunkSource(handle, from)
      : new GzipChunkSource(path.join(this.options.directory, copy.name), copy, from);
    this.source = { copy, chunks };
    return true;
  }

  /**
   * Only the live file is ever truncated in place. A read that raced a truncation may hold bytes
   * of the new content at the old offsets, which would pass for the rest of the old file: so each
   * chunk of the live file is checked against the first line, and on a mismatch it is discarded
   * and the next scan splits the generations (the old one goes on from its copy, if any).
   */
  private async stillSameContent(copy: Readonly<FileCopy>): Promise<boolean> {
    const handle = this.handles.get(copy);
    if (!handle || (await stillStartsWith(handle, this.fingerprint))) return true;
    await this.stopReading();
    return false;
  }

  /** A rotated plain file is finished once a fresh fstat agrees nothing follows what was read. */
  private async atEnd(copy: Readonly<FileCopy>): Promise<boolean> {
    const handle = this.handles.get(copy);
    if (!handle) return true;
    const { size } = await handle.stat();
    return size <= this.readTo;
  }

  private async readFailed(copy: Readonly<FileCopy>, error: unknown): Promise<ReadOutcome> {
    await this.stopReading();
    const filePath = path.join(this.options.directory, copy.name);
    if (error instanceof CopyMovedError) {
      this.options.events.copyMoved({ path: filePath });
      return 'rescan';
    }
    if (error instanceof GzipIncompleteError) {
      this.incompleteGzip = { copy, size: copy.size };
      this.options.events.gzipIncomplete({ path: filePath, readTo: this.completeOffset, error: error.message });
      return 'read'; // Another copy may be readable now; if none is, the reader is idle.
    }
    // The file cannot be read now (a .gz whose read permission went after it was identified, a
    // failing disk): counted, reported and retried like a file that could not be identified.
    this.options.readFailures.failed(copy, error as NodeJS.ErrnoException);
    return 'failed';
  }

  private async stopReading(): Promise<void> {
    const reading = this.source;
    if (!reading) return;
    this.source = undefined;
    this.restartFromLastCompleteLine();
    await reading.chunks.close();
  }

  /** Starts again from the last complete line: a new copy is read from there. */
  private restartFromLastCompleteLine(): void {
    if (this.splitter.pendingBytes > 0) this.splitter = this.newSplitter(this.splitter.completeOffset);
  }

  private newSplitter(offset: number): LineSplitter {
    return new LineSplitter(this.options.maxLineBytes, this.options.hardCapBytes, offset);
  }
}
