import type { FileHandle } from 'node:fs/promises';
import type { Fingerprint } from './fingerprint.js';
import { LineSplitter } from './line-splitter.js';
import type { ChunkSource } from './chunk-source.js';

/** One copy of a log file on disk: the plain file (possibly renamed or unlinked) or its `.gz`. */
export interface PhysicalFile {
  /** Current name in the log directory (last known name once unlinked). */
  name: string;
  dev: number;
  ino: number;
  compressed: boolean;
  orderKey: string;
  /** Size on disk (compressed size for a .gz). */
  size: number;
  /** Open handle of a plain file while it has unread bytes; keeps an unlinked file readable. */
  handle?: FileHandle;
  /** Seen in the latest directory scan. */
  onDisk: boolean;
}

/**
 * One logical audit log file, identified by its fingerprint, with every copy of it on disk
 * (the live file that became `audit-<ts>.log`, then `audit-<ts>.log.gz`, or a copytruncate copy).
 * Offsets are in decompressed bytes, so they mean the same in the plain file and in its `.gz`.
 */
export class TrackedFile {
  readonly physicals: PhysicalFile[] = [];
  /** Where reading goes on from: just past the last complete line handed to the pipeline. */
  splitter: LineSplitter;
  /** Just past the last line the sink acknowledged (all lines before it are acknowledged too). */
  ackedOffset: number;
  /** Largest plain size seen: the end of the data this file is known to hold. */
  knownSize = 0;
  /** Some copy is the live file: more lines may still come. */
  live = false;
  /** Every byte has been read and handed on; no more will come. */
  readComplete = false;
  /** The copy being read now, with its reader. */
  reading?: { physical: PhysicalFile; chunks: ChunkSource };
  /** A .gz was found cut short; it is not read again until its size changes. */
  gzipRetryAtSize?: number;
  /** The name of its last copy seen, kept for reports once every copy is gone. */
  private lastName?: string;

  constructor(
    readonly fingerprint: Fingerprint,
    startOffset: number,
    private readonly maxLineBytes: number,
    private readonly hardCapBytes: number,
  ) {
    this.splitter = new LineSplitter(maxLineBytes, hardCapBytes, startOffset);
    this.ackedOffset = startOffset;
  }

  get key(): string {
    return this.fingerprint.hash;
  }

  /** Sort key: the oldest rotation timestamp among its copies; the live file sorts last. */
  get orderKey(): string {
    return this.physicals.reduce((lowest, physical) => (physical.orderKey < lowest ? physical.orderKey : lowest), '~~');
  }

  /**
   * The copy whose name a human would look for (prefers the plain file, then the newest name).
   * Once every copy is gone, the last name it had: a loss report must say which file was lost.
   */
  get displayName(): string {
    const plain = this.physicals.find((physical) => !physical.compressed && physical.onDisk);
    const name = (plain ?? this.physicals.find((physical) => physical.onDisk) ?? this.physicals[0])?.name;
    if (name !== undefined) this.lastName = name;
    return this.lastName ?? '(gone)';
  }

  /** Acknowledged through its last byte and no more can come. */
  get completed(): boolean {
    return this.readComplete && this.ackedOffset >= this.splitter.completeOffset;
  }

  /** Starts reading again from the last complete line, e.g. after switching to another copy. */
  restartFromLastCompleteLine(): void {
    this.splitter = new LineSplitter(this.maxLineBytes, this.hardCapBytes, this.splitter.completeOffset);
  }
}
