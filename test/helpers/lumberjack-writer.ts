import { closeSync, copyFileSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, renameSync, statSync, writeSync, constants } from 'node:fs';
import { open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/**
 * Writes an audit log the way kube-apiserver does through lumberjack v2 (natefinch/lumberjack,
 * branch v2.0, lumberjack.go), so the agent can be tested against the real file dance:
 *
 * - one write(2) per event line; when the next write would pass maxSize the file is closed,
 *   renamed to `<name>-2006-01-02T15-04-05.000<ext>` (UTC time of rotation) and a new file is
 *   created with the old mode (new inode). Between rename and create the live path does not exist.
 * - a background "mill" (one run at a time, at most one more queued, as lumberjack's channel of
 *   capacity 1) then deletes backups beyond maxBackups (a `.log` and its `.log.gz` count once, newest
 *   kept by name timestamp) or older than maxAgeDays, and gzips each remaining plain backup to
 *   `….gz` (created with O_TRUNC, written progressively, trailer last) before deleting the plain file.
 * - a write longer than maxSize fails, as in lumberjack ("write length … exceeds maximum file size").
 *
 * copyTruncate mode stands for an external logrotate with `copytruncate` (Kubernetes ≥ 1.36 with
 * `--audit-log-maxsize=0`): the live file is copied to `<name>-<timestamp>` (logrotate's dateext
 * style, deliberately not a lumberjack name) and truncated to 0 in place, keeping its inode. The mill
 * prunes and compresses those copies the same way.
 *
 * Not simulated: lumberjack's LocalTime option, and the sparse file a non-O_APPEND writer leaves
 * after an external truncation (live files are always written with O_APPEND here).
 */
export interface LumberjackWriterOptions {
  readonly dir: string;
  /** Default `audit.log`. */
  readonly fileName?: string;
  readonly maxSizeBytes: number;
  /** 0 (default) keeps every backup. */
  readonly maxBackups?: number;
  /** 0 (default) keeps backups of any age. Age is read from the name's timestamp. */
  readonly maxAgeDays?: number;
  readonly compress?: boolean;
  readonly copyTruncate?: boolean;
  /** Epoch ms used for backup names and maxAge. Default Date.now. */
  readonly clock?: () => number;
  /** fsync after every write and before every close/copy. Off by default: the apiserver does not. */
  readonly fsync?: boolean;
  /** Size of each piece of a .gz written by the mill (the 8-byte gzip trailer is always written last, alone). Default 16 KiB. */
  readonly gzipChunkBytes?: number;
  /** Pause between .gz pieces, so a half-written .gz stays visible for a while. Default 0. */
  readonly gzipChunkDelayMs?: number;
  /** Awaited after each .gz piece is written; a test can inspect (or hold) the half-written file here. */
  readonly onGzipChunk?: (progress: GzipProgress) => void | Promise<void>;
  /** Blocks the writer this long between rename and create, widening the window with no live file. Default 0. */
  readonly rotationGapMs?: number;
  /** Called synchronously in that window (after the rename, before the new file exists). */
  readonly onRotationGap?: (gap: RotationGap) => void;
}

export interface GzipProgress {
  readonly sourcePath: string;
  readonly gzPath: string;
  readonly writtenBytes: number;
  readonly totalBytes: number;
  readonly trailerWritten: boolean;
}

export interface RotationGap {
  readonly livePath: string;
  readonly backupPath: string;
}

/** Where one written line landed. `generation` counts live-file incarnations (new inode or truncation). */
export interface WrittenLine {
  /** The line's auditID, or undefined when the bytes carry none (garbage, partial lines). */
  readonly auditId: string | undefined;
  readonly stage: string | undefined;
  readonly generation: number;
  readonly offset: number;
  readonly length: number;
}

export interface LumberjackWriterStats {
  readonly linesWritten: number;
  readonly bytesWritten: number;
  readonly rotations: number;
  readonly truncations: number;
  readonly backupsCompressed: number;
  readonly backupsDeleted: number;
}

/** How backups of one live file are named, and how a directory entry is recognised as one. */
interface BackupNaming {
  nameFor(timestampMs: number): string;
  /** The backup's timestamp and its uncompressed name, or undefined if `name` is not a backup. */
  parse(name: string): { timestampMs: number; plainName: string } | undefined;
}

const TIMESTAMP_PATTERN = '(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2})-(\\d{2})-(\\d{2})\\.(\\d{3})';

/** Go layout `2006-01-02T15-04-05.000` in UTC, lumberjack's backupTimeFormat. */
export function formatBackupTimestamp(timestampMs: number): string {
  const iso = new Date(timestampMs).toISOString(); // 2006-01-02T15:04:05.000Z
  return `${iso.slice(0, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 23)}`;
}

/** `audit.log` rotated at t → `audit-<t>.log`: the timestamp goes between the base name and the extension. */
export function lumberjackBackupName(fileName: string, timestampMs: number): string {
  const ext = extname(fileName);
  return `${fileName.slice(0, fileName.length - ext.length)}-${formatBackupTimestamp(timestampMs)}${ext}`;
}

function lumberjackNaming(fileName: string): BackupNaming {
  const ext = extname(fileName);
  const prefix = fileName.slice(0, fileName.length - ext.length);
  const pattern = new RegExp(`^${escapeRegExp(prefix)}-${TIMESTAMP_PATTERN}${escapeRegExp(ext)}(\\.gz)?$`);
  return {
    nameFor: (timestampMs) => lumberjackBackupName(fileName, timestampMs),
    parse: (name) => parseWith(pattern, name),
  };
}

function copyTruncateNaming(fileName: string): BackupNaming {
  const pattern = new RegExp(`^${escapeRegExp(fileName)}-${TIMESTAMP_PATTERN}(\\.gz)?$`);
  return {
    nameFor: (timestampMs) => `${fileName}-${formatBackupTimestamp(timestampMs)}`,
    parse: (name) => parseWith(pattern, name),
  };
}

function parseWith(pattern: RegExp, name: string): { timestampMs: number; plainName: string } | undefined {
  const match = pattern.exec(name);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, milli] = match.map(Number) as number[];
  const timestampMs = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, milli!);
  return { timestampMs, plainName: match[8] ? name.slice(0, -3) : name };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const AUDIT_ID = /"auditID":"([^"]*)"/;
const STAGE = /"stage":"([^"]*)"/;
const NEWLINE = 0x0a;
const DAY_MS = 86_400_000;

export class LumberjackWriter {
  readonly livePath: string;
  private readonly options: LumberjackWriterOptions;
  private readonly naming: BackupNaming;
  private readonly clock: () => number;
  private readonly written: WrittenLine[] = [];
  private fd: number | undefined;
  private size = 0;
  private generation = 0;
  private lastBackupMs: number;
  private closed = false;
  private bytesWritten = 0;
  private rotations = 0;
  private truncations = 0;
  private backupsCompressed = 0;
  private backupsDeleted = 0;
  private millRun: Promise<void> | undefined;
  private millRequested = false;
  private millError: Error | undefined;

  constructor(options: LumberjackWriterOptions) {
    if (!(options.maxSizeBytes > 0)) throw new Error('maxSizeBytes must be positive');
    this.options = options;
    const fileName = options.fileName ?? 'audit.log';
    this.livePath = join(options.dir, fileName);
    this.naming = options.copyTruncate ? copyTruncateNaming(fileName) : lumberjackNaming(fileName);
    this.clock = options.clock ?? Date.now;
    // A writer restarted on an existing directory must still produce names newer than the ones there.
    this.lastBackupMs = Math.max(0, ...readdirSync(options.dir).map((name) => this.naming.parse(name)?.timestampMs ?? 0));
  }

  /** Every line written so far, in write order. */
  get lines(): readonly WrittenLine[] {
    return this.written;
  }

  get stats(): LumberjackWriterStats {
    return {
      linesWritten: this.written.length,
      bytesWritten: this.bytesWritten,
      rotations: this.rotations,
      truncations: this.truncations,
      backupsCompressed: this.backupsCompressed,
      backupsDeleted: this.backupsDeleted,
    };
  }

  /** Appends one event line in a single write; a trailing newline is added unless present. */
  write(line: string | Buffer): void {
    const bytes = typeof line === 'string' ? Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8') : line[line.length - 1] === NEWLINE ? line : Buffer.concat([line, Buffer.from('\n')]);
    this.writeRaw(bytes);
  }

  writeMany(lines: Iterable<string | Buffer>): void {
    for (const line of lines) this.write(line);
  }

  /**
   * Writes bytes exactly as given (no newline added), under the same rotation rule: for partial
   * lines, garbage and other malformed input. The bytes are recorded as one written line.
   */
  writeRaw(bytes: Buffer): void {
    if (this.closed) throw new Error('LumberjackWriter is closed');
    if (bytes.length > this.options.maxSizeBytes) {
      throw new Error(`write length ${bytes.length} exceeds maximum file size ${this.options.maxSizeBytes}`);
    }
    if (this.fd === undefined) this.openExistingOrNew(bytes.length);
    if (this.size + bytes.length > this.options.maxSizeBytes) this.rotate();
    writeFully(this.fd!, bytes);
    if (this.options.fsync) fsyncSync(this.fd!);
    const text = bytes.toString('utf8', 0, Math.min(bytes.length, 4096));
    this.written.push({
      auditId: AUDIT_ID.exec(text)?.[1],
      stage: STAGE.exec(text)?.[1],
      generation: this.generation,
      offset: this.size,
      length: bytes.length,
    });
    this.size += bytes.length;
    this.bytesWritten += bytes.length;
  }

  /** Rotates now, as lumberjack's Rotate() (SIGHUP) or logrotate's copytruncate, then starts the mill. */
  rotate(): void {
    if (this.closed) throw new Error('LumberjackWriter is closed');
    if (this.options.copyTruncate) this.copyThenTruncate();
    else this.renameAndCreate();
    this.rotations++;
    this.signalMill();
  }

  /** Truncates the live file to 0 bytes in place (same inode), as `: > audit.log` would; nothing is copied. */
  truncateInPlace(): void {
    if (this.closed) throw new Error('LumberjackWriter is closed');
    if (this.fd === undefined) this.openExistingOrNew(0);
    ftruncateSync(this.fd!, 0);
    this.size = 0;
    this.generation++;
    this.truncations++;
  }

  /** Resolves once the mill has no run in progress or queued; rethrows the first mill failure. */
  async flushMill(): Promise<void> {
    while (this.millRun) await this.millRun;
    if (this.millError) throw this.millError;
  }

  /** Closes the live file and waits for the mill. Further writes throw. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closeLive();
    }
    await this.flushMill();
  }

  /** Lumberjack's openExistingOrNew: append to an existing live file unless this write would fill it. */
  private openExistingOrNew(writeLength: number): void {
    this.signalMill();
    if (!existsSync(this.livePath)) {
      this.openNew(0o600);
      return;
    }
    const size = statSync(this.livePath).size;
    if (size + writeLength >= this.options.maxSizeBytes && writeLength > 0) {
      this.rotate();
      return;
    }
    this.fd = openSync(this.livePath, constants.O_APPEND | constants.O_WRONLY);
    this.size = size;
    this.generation++;
  }

  private renameAndCreate(): void {
    this.closeLive();
    let mode = 0o600;
    if (existsSync(this.livePath)) {
      mode = statSync(this.livePath).mode & 0o7777;
      const backupPath = join(this.options.dir, this.naming.nameFor(this.nextBackupTimestamp()));
      renameSync(this.livePath, backupPath);
      if (this.options.rotationGapMs) blockFor(this.options.rotationGapMs);
      this.options.onRotationGap?.({ livePath: this.livePath, backupPath });
    }
    this.openNew(mode);
  }

  private copyThenTruncate(): void {
    if (this.fd === undefined) this.openExistingOrNew(0);
    if (this.options.fsync) fsyncSync(this.fd!);
    const backupPath = join(this.options.dir, this.naming.nameFor(this.nextBackupTimestamp()));
    copyFileSync(this.livePath, backupPath);
    ftruncateSync(this.fd!, 0);
    this.size = 0;
    this.generation++;
  }

  private openNew(mode: number): void {
    // O_TRUNC as lumberjack: if someone created the file in the window, its content is wiped.
    this.fd = openSync(this.livePath, constants.O_CREAT | constants.O_WRONLY | constants.O_TRUNC | constants.O_APPEND, mode);
    this.size = 0;
    this.generation++;
  }

  private closeLive(): void {
    if (this.fd === undefined) return;
    if (this.options.fsync) fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Lumberjack names backups by rotation time in ms; several rotations in one ms would collide, so bump by 1 ms. */
  private nextBackupTimestamp(): number {
    this.lastBackupMs = Math.max(this.clock(), this.lastBackupMs + 1);
    return this.lastBackupMs;
  }

  private signalMill(): void {
    const { compress, maxBackups, maxAgeDays } = this.options;
    if (!compress && !maxBackups && !maxAgeDays) return;
    if (this.millRun) {
      this.millRequested = true;
      return;
    }
    this.millRun = this.runMill();
  }

  private async runMill(): Promise<void> {
    try {
      do {
        this.millRequested = false;
        await this.millOnce();
      } while (this.millRequested);
    } catch (error) {
      this.millError ??= error as Error;
    } finally {
      this.millRun = undefined;
    }
  }

  /** Lumberjack's millRunOnce: pick removals (count, then age), delete them, then compress the rest. */
  private async millOnce(): Promise<void> {
    const backups = (await readdir(this.options.dir))
      .map((name) => ({ name, parsed: this.naming.parse(name) }))
      .filter((entry): entry is { name: string; parsed: { timestampMs: number; plainName: string } } => entry.parsed !== undefined)
      .sort((a, b) => b.parsed.timestampMs - a.parsed.timestampMs || (a.name < b.name ? -1 : 1));

    let remaining = backups;
    const remove: string[] = [];
    const maxBackups = this.options.maxBackups ?? 0;
    if (maxBackups > 0 && maxBackups < remaining.length) {
      const preserved = new Set<string>();
      const kept: typeof remaining = [];
      for (const entry of remaining) {
        preserved.add(entry.parsed.plainName);
        if (preserved.size > maxBackups) remove.push(entry.name);
        else kept.push(entry);
      }
      remaining = kept;
    }
    const maxAgeDays = this.options.maxAgeDays ?? 0;
    if (maxAgeDays > 0) {
      const cutoff = this.clock() - maxAgeDays * DAY_MS;
      for (const entry of remaining.filter((candidate) => candidate.parsed.timestampMs < cutoff)) remove.push(entry.name);
      remaining = remaining.filter((candidate) => candidate.parsed.timestampMs >= cutoff);
    }

    for (const name of remove) {
      await unlink(join(this.options.dir, name));
      this.backupsDeleted++;
    }
    if (this.options.compress) {
      for (const entry of remaining) {
        if (!entry.name.endsWith('.gz')) await this.compressBackup(join(this.options.dir, entry.name));
      }
    }
  }

  /** Lumberjack's compressLogFile: write `<src>.gz` with the source's mode, then delete the source. */
  private async compressBackup(sourcePath: string): Promise<void> {
    const gzPath = `${sourcePath}.gz`;
    const mode = (await stat(sourcePath)).mode & 0o7777;
    const compressed = await gzipAsync(await readFile(sourcePath));
    const handle = await open(gzPath, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, mode);
    try {
      const trailerStart = compressed.length - 8; // CRC32 + ISIZE close every gzip member
      const chunkBytes = this.options.gzipChunkBytes ?? 16 * 1024;
      let written = 0;
      while (written < compressed.length) {
        const end = written < trailerStart ? Math.min(written + chunkBytes, trailerStart) : compressed.length;
        await handle.write(compressed, written, end - written, written);
        written = end;
        await this.options.onGzipChunk?.({ sourcePath, gzPath, writtenBytes: written, totalBytes: compressed.length, trailerWritten: written === compressed.length });
        if (this.options.gzipChunkDelayMs && written < compressed.length) await sleep(this.options.gzipChunkDelayMs);
      }
      if (this.options.fsync) await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(gzPath).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await unlink(sourcePath);
    this.backupsCompressed++;
  }
}

function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** A synchronous pause: the apiserver holds its write lock during rotation, so the writer must not move on either. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

