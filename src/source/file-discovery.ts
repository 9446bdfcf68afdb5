import { lstat, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointEntry } from '../checkpoint/checkpoint-schema.js';
import { LogFileNaming, type LogFileName } from './backup-names.js';
import type { CopiesView, FileCopy } from './file-copy.js';
import { FileReader } from './file-reader.js';
import { openAndFingerprint, type Fingerprint } from './fingerprint.js';
import type { SourceEvents } from './source-events.js';
import { decideStart, decompressedSize, endOfLastCompleteLine, type StartSettings } from './start-position.js';
import { UnreadableCopies } from './unreadable-copies.js';
import { UnreadableFiles, stampOf, type EntryStamp, type RetryBackoff, type UnreadableFile } from './unreadable-files.js';

export interface FileDiscoveryOptions {
  livePath: string;
  maxLineBytes: number;
  hardCapBytes: number;
  /** The checkpoint's entries at start (not yet matched to a file on disk). */
  checkpoint: CheckpointEntry[];
  start: StartSettings;
  events: SourceEvents;
  /** How long a finished file that left the disk is still recognised if a copy of it turns up again. */
  finishedRetentionMs?: number;
  /** How long after its last change a backup without a complete first line still holds up decisions. */
  firstLineGraceMs?: number;
  /** How long an unchanged file that could not be read waits before it is tried again. */
  unreadableRetry?: RetryBackoff;
}

/**
 * Scans in which a file must be missing, with the directory unchanged during the scan, before it
 * counts as gone: one for the rename or copy in progress, one more for a copytruncate copy that
 * appears just after the truncation.
 */
const SETTLED_SCANS_BEFORE_GONE = 2;
const FINISHED_RETENTION_MS = 5 * 60_000;
/**
 * A backup that has no complete first line yet may be a copy still being written (a copytruncate
 * copy, a `.gz` the mill is filling): until this long after its last change it holds up the
 * decisions that need every file identified. Past it, it is an empty or cut-short file that
 * nothing is completing.
 */
const FIRST_LINE_GRACE_MS = 2_000;

/**
 * What a directory entry turned out to be. `unidentified`: it cannot be told apart yet, and may
 * be a copy of a tracked file (its name moved during the scan, or it is being written), so no
 * file may be declared gone. `holds no tracked file`: it has no complete first line and never
 * will as it is, while every tracked file has one, so it is no copy of any. `unreadable`: it
 * cannot be opened (permissions, a directory, a symbolic link to nothing) and may stay so for
 * good: it holds back only the checkpoint entry it may be (see heldByUnreadable), not every decision.
 */
type Observed = FileCopy | 'unidentified' | 'holds no tracked file' | 'unreadable' | undefined;

/** One logical file as discovery knows it: its copies on disk, and its reader. */
class DiscoveredFile implements CopiesView {
  readonly copies: FileCopy[] = [];
  live = false;
  /** The end of the data this file is known to hold: the largest plain size seen, or what the checkpoint had. */
  knownSize = 0;
  /** Settled scans in a row that found no copy of it. */
  absentScans = 0;
  /** The live copy left because the file was truncated, not rotated. */
  liveLeftByTruncation = false;

  readonly reader: FileReader;

  constructor(init: (view: CopiesView) => FileReader) {
    this.reader = init(this);
  }

  get orderKey(): string {
    return this.copies.reduce((lowest, copy) => (copy.orderKey < lowest ? copy.orderKey : lowest), '~~');
  }

  /** Dev and inode of the copy it was first found as, for the checkpoint. */
  get firstCopy(): Readonly<FileCopy> | undefined {
    return this.copies[0];
  }
}

/**
 * Keeps the set of log files in step with the directory: finds the live file and its backups,
 * follows each file through rename, gzip and deletion by its fingerprint, notices inode reuse and
 * truncation in place, and reports data that vanished before it could be read. It tracks copies
 * only; each file's reader does the reading.
 *
 * A file counts as gone only after SETTLED_SCANS_BEFORE_GONE scans in a row did not find it and
 * the directory did not change while any of them ran: a listing taken while names shift
 * (logrotate's numbered copies move every rotation) may show a file under neither name. A
 * finished file that is gone is still recognised for a while, so a copy of it found later (a
 * late listing, a slow `.gz`) is not read again from its start.
 */
export class FileDiscovery {
  readonly naming: LogFileNaming;
  private readonly files = new Map<string, DiscoveredFile>();
  private readonly copiesByInode = new Map<string, { copy: FileCopy; file: DiscoveredFile }>();
  /** Checkpoint entries not matched to a file on disk yet, by fingerprint hash. */
  private readonly unmatched = new Map<string, CheckpointEntry>();
  /** Finished files no longer on disk, with when they were found gone. */
  private readonly finished = new Map<string, { entry: CheckpointEntry; goneAt: number }>();
  /** Names that could not be opened, so their file is not known. */
  private readonly unreadable: UnreadableFiles;
  /** Copies of known files their reader could not open or read. */
  private readonly unreadableCopies: UnreadableCopies;
  private scans = 0;
  private settledScans = 0;
  private listable?: boolean;
  private anyLogFileSeen = false;

  constructor(private readonly options: FileDiscoveryOptions) {
    this.naming = new LogFileNaming(options.livePath);
    this.unreadable = new UnreadableFiles(Date.now, options.unreadableRetry);
    this.unreadableCopies = new UnreadableCopies(this.naming.directory, options.events, Date.now, options.unreadableRetry);
    for (const entry of options.checkpoint) this.unmatched.set(entry.fingerprint.hash, entry);
  }

  /** Tracked files in the order they were written: oldest backup first, the live file last. */
  ordered(): FileReader[] {
    return [...this.files.values()]
      .sort((a, b) => (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0))
      .map((file) => file.reader);
  }

  /** Number of plain-file handles held open. */
  openHandles(): number {
    let count = 0;
    for (const file of this.files.values()) count += file.reader.openHandles;
    return count;
  }

  /** Whether the directory could be listed at the last scan, and whether any file of the log was found. */
  directoryState(): { listable: boolean; logFileFound: boolean; directory: string; liveName: string } {
    return { listable: this.listable ?? false, logFileFound: this.anyLogFileSeen, directory: this.naming.directory, liveName: this.naming.liveName };
  }

  /** Per tracked file: where it is, how big it is known to be, how far it is acknowledged. */
  status(): Array<{ reader: FileReader; knownSize: number; mtimeMs: number; live: boolean }> {
    return [...this.files.values()].map((file) => ({
      reader: file.reader,
      knownSize: Math.max(file.knownSize, file.reader.ackedOffset),
      mtimeMs: file.copies.reduce((latest, copy) => Math.max(latest, copy.mtimeMs), 0),
      live: file.live,
    }));
  }

  /**
   * What the checkpoint must hold: every tracked file, unmatched entries and recently finished
   * ones; with `after`, as it will be once those offsets of their files are acknowledged.
   */
  checkpointEntries(after?: ReadonlyMap<FileReader, number>): CheckpointEntry[] {
    const entries: CheckpointEntry[] = [...this.unmatched.values()];
    for (const { entry } of this.finished.values()) entries.push(entry);
    for (const file of this.files.values()) entries.push(this.entryOf(file, after?.get(file.reader)));
    return entries;
  }

  /**
   * Whether a decision still waits for a settled directory: a checkpoint entry not matched to a
   * file yet, or a file with no copy left that is not yet forgotten or reported lost. An entry
   * held back by an unreadable file waits for that file, not for the directory.
   */
  get decisionsPending(): boolean {
    return (
      [...this.unmatched.values()].some((entry) => !this.heldByUnreadable(entry)) || [...this.files.values()].some((file) => file.copies.length === 0)
    );
  }

  /** The files of the log that cannot be read now: names not identified, and copies of known files. */
  unreadableFiles(): UnreadableFile[] {
    return [...this.unreadable.list(), ...this.unreadableCopies.list()];
  }

  /** Closes every handle the readers hold (the source stops). */
  async close(): Promise<void> {
    for (const file of this.files.values()) await file.reader.close();
  }

  /** Compares the directory with what is tracked and updates every file's copies. */
  async scan(): Promise<void> {
    this.scans += 1;
    const before = await this.directoryStamp();
    const names = await this.listDirectory();
    const seen = new Set<FileCopy>();
    const listed = new Set<string>();
    let unidentified = 0;
    for (const name of names) {
      const classified = this.naming.classify(name);
      if (!classified) continue;
      this.anyLogFileSeen = true;
      listed.add(name);
      const copy = await this.observe(classified);
      if (copy === 'unidentified') unidentified += 1;
      else if (copy !== 'unreadable') this.noLongerUnreadable(name, 'readable'); // a tracked copy took its name
      if (copy && typeof copy === 'object') seen.add(copy);
    }
    if (this.listable) for (const file of this.unreadable.list()) if (!listed.has(path.basename(file.path))) this.noLongerUnreadable(path.basename(file.path), 'gone');
    const after = await this.directoryStamp();
    await this.forgetVanished(seen);
    for (const file of this.files.values()) this.refreshLiveness(file);
    await this.closeFinished();
    // Only a scan that identified every file it could read and during which no name changed shows
    // for sure that a file is missing: then it may be forgotten, or reported lost.
    const settled = unidentified === 0 && before !== undefined && before === after;
    if (settled) {
      this.settledScans += 1;
      this.settleCheckpointEntries();
      await this.releaseGone();
    }
    this.expireFinished();
  }

  /** The directory's change time: any create, rename or unlink in it moves it. */
  private async directoryStamp(): Promise<string | undefined> {
    try {
      const info = await stat(this.naming.directory, { bigint: true });
      return `${info.mtimeNs}:${info.ctimeNs}`;
    } catch {
      return undefined;
    }
  }

  private async listDirectory(): Promise<string[]> {
    try {
      const names = await readdir(this.naming.directory);
      if (this.listable === false) this.options.events.directoryListable({ directory: this.naming.directory });
      this.listable = true;
      return names;
    } catch (error) {
      if (this.listable !== false) {
        this.options.events.directoryUnlistable({ directory: this.naming.directory, error: (error as Error).message });
      }
      this.listable = false;
      return [];
    }
  }

  /** Matches one directory entry to a tracked file; 'unidentified' if it cannot be yet. */
  private async observe(name: LogFileName): Promise<Observed> {
    const fullPath = path.join(this.naming.directory, name.name);
    let info;
    try {
      info = await stat(fullPath);
    } catch (error) {
      return this.statFailed(fullPath, error as NodeJS.ErrnoException);
    }
    const known = this.copiesByInode.get(`${info.dev}:${info.ino}`);
    if (known && !this.isSameFile(known.copy, known.file, name)) {
      await this.detach(known.copy, known.file);
      return this.identify(name, fullPath, info);
    }
    if (!known) return this.identify(name, fullPath, info);
    const { copy, file } = known;
    copy.name = name.name;
    copy.orderKey = name.orderKey;
    copy.onDisk = true;
    copy.mtimeMs = info.mtimeMs;
    copy.ctimeMs = info.ctimeMs;
    const previousSize = copy.size;
    copy.size = info.size;
    if (!copy.compressed) {
      if (name.live && (await this.wasTruncated(file, copy, previousSize))) return this.observe(name);
      file.knownSize = Math.max(file.knownSize, info.size);
    }
    return copy;
  }

  /**
   * A name that stat cannot follow. Gone since the listing (renamed or deleted): decide nothing
   * about it until a scan sees the directory settled. Still there (a symbolic link to nothing, a
   * name whose permissions stat cannot pass): unreadable.
   */
  private async statFailed(fullPath: string, error: NodeJS.ErrnoException): Promise<'unidentified' | 'unreadable'> {
    if (error.code !== 'ENOENT') return this.cannotRead(fullPath, error, undefined);
    try {
      return this.cannotRead(fullPath, error, stampOf(await lstat(fullPath)));
    } catch {
      return 'unidentified';
    }
  }

  /** Records a failed attempt at a file of the log: reported the first time, retried with backoff. */
  private cannotRead(fullPath: string, error: NodeJS.ErrnoException, stamp: EntryStamp | undefined): 'unreadable' {
    if (this.unreadable.failed(fullPath, { path: fullPath, error, stamp, onDiskAtFirstScan: this.scans === 1 })) {
      this.options.events.unreadable({ path: fullPath, code: error.code ?? 'EIO', error: error.message });
    }
    return 'unreadable';
  }

  /** A file reported unreadable was opened after all, or left the directory unread. */
  private noLongerUnreadable(name: string, how: 'readable' | 'gone'): void {
    const fullPath = path.join(this.naming.directory, name);
    const known = this.unreadable.remove(fullPath);
    if (!known) return;
    const unreadableForMs = Date.now() - known.sinceMs;
    if (how === 'readable') this.options.events.readableAgain({ path: fullPath, unreadableForMs });
    else this.options.events.unreadableGone({ path: fullPath, unreadableForMs });
  }

  /** The same inode was at this name, unreadable, at the first scan: a file on disk at start. */
  private wasUnreadableSinceFirstScan(fullPath: string, info: EntryStamp): boolean {
    const known = this.unreadable.get(fullPath);
    return known?.onDiskAtFirstScan === true && known.stamp?.dev === info.dev && known.stamp.ino === info.ino;
  }

  /**
   * Whether a file that cannot be read may be the checkpoint entry's file: it is at the entry's
   * inode, or it is named as the `.gz` of the entry's copy (lumberjack gives the `.gz` the mode
   * of the file it compresses, so a backup locked while the agent was down stays locked gzipped).
   * Holding an entry back wrongly only delays its loss report until that file is read or leaves.
   */
  private heldByUnreadable(entry: CheckpointEntry): boolean {
    return this.unreadable.atInode(entry.dev, entry.ino) || this.unreadable.get(`${entry.path}.gz`) !== undefined;
  }

  /**
   * Whether a known inode still holds the file we know. The only rename a log file goes through
   * is live → plain backup; any other change of name, or a live file whose handle is no longer
   * held (so its inode may have been freed and handed to a new file), means the inode was reused
   * by a different file, or the name moved on, and must be identified afresh.
   */
  private isSameFile(copy: FileCopy, file: DiscoveredFile, name: LogFileName): boolean {
    if (copy.name === name.name) return !(name.live && !file.reader.holds(copy));
    return copy.name === this.naming.liveName && !name.live && !name.compressed;
  }

  private async identify(name: LogFileName, fullPath: string, info: EntryStamp): Promise<Exclude<Observed, undefined>> {
    const stamp = stampOf(info);
    if (!this.unreadable.retryDue(fullPath, stamp)) return 'unreadable';
    const copy: FileCopy = {
      name: name.name,
      dev: info.dev,
      ino: info.ino,
      compressed: name.compressed,
      orderKey: name.orderKey,
      size: info.size,
      mtimeMs: info.mtimeMs,
      ctimeMs: info.ctimeMs,
      onDisk: true,
    };
    let opened;
    try {
      opened = await openAndFingerprint(fullPath, name.compressed, info);
    } catch (error) {
      // Renamed or deleted since the directory was listed: the next scan finds it where it went.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'unidentified';
      return this.cannotRead(fullPath, error as NodeJS.ErrnoException, stamp);
    }
    if (!opened) return 'unidentified'; // The name leads to another inode now: the next scan sorts it out.
    const onDiskAtFirstScan = this.scans === 1 || this.wasUnreadableSinceFirstScan(fullPath, info);
    this.noLongerUnreadable(name.name, 'readable');
    const { handle, fingerprint, gzipComplete } = opened;
    if (!fingerprint || name.compressed) await handle.close();
    if (!fingerprint) return this.withoutFirstLineYet(name, info, gzipComplete);
    const file = await this.fileFor(fingerprint, copy, name.compressed ? undefined : handle, onDiskAtFirstScan);
    file.copies.push(copy);
    file.absentScans = 0;
    if (!copy.compressed) {
      file.knownSize = Math.max(file.knownSize, info.size);
      file.reader.adopt(copy, handle);
    }
    this.copiesByInode.set(`${info.dev}:${info.ino}`, { copy, file });
    return copy;
  }

  /**
   * A file without a complete first line. Every tracked file has one and its copies hold the same
   * bytes, so this can only be a copy of a tracked file while it is being written, and then the
   * file it copies is still on disk. The live file is never a copy (the writer creates it, or it
   * was known by its inode before), and a complete `.gz` is final; any other backup holds up
   * decisions until the grace has passed since it last changed (its mtime, so an agent that
   * starts next to an old empty backup is not held up at all). It is looked at again every scan,
   * and read as soon as its first line is complete.
   */
  private withoutFirstLineYet(name: LogFileName, info: { mtimeMs: number }, gzipComplete: boolean): 'unidentified' | 'holds no tracked file' {
    if (name.live || gzipComplete) return 'holds no tracked file';
    const sinceChange = Date.now() - info.mtimeMs;
    return sinceChange >= (this.options.firstLineGraceMs ?? FIRST_LINE_GRACE_MS) ? 'holds no tracked file' : 'unidentified';
  }

  private async fileFor(fingerprint: Fingerprint, copy: FileCopy, handle: FileHandle | undefined, onDiskAtFirstScan: boolean): Promise<DiscoveredFile> {
    const existing = this.files.get(fingerprint.hash);
    if (existing) return existing;
    const fullPath = path.join(this.naming.directory, copy.name);
    const finished = this.finished.get(fingerprint.hash);
    const entry = this.unmatched.get(fingerprint.hash);
    let start;
    if (finished) {
      this.finished.delete(fingerprint.hash);
      start = { offset: finished.entry.offset, completed: true, origin: 'checkpoint' as const };
    } else {
      this.unmatched.delete(fingerprint.hash);
      start = await decideStart(this.options.start, {
        ...(entry ? { entry } : {}),
        foundAtFirstScan: onDiskAtFirstScan,
        endOfFile: () => (handle ? endOfLastCompleteLine(handle, copy.size) : decompressedSize(fullPath)),
      });
      if (start.origin === 'replay' && entry) {
        this.options.events.replaying({ path: fullPath, fingerprint, acknowledged: entry.offset, size: entry.size });
      }
    }
    const file = new DiscoveredFile(
      (view) =>
        new FileReader({
          fingerprint,
          startOffset: start.offset,
          completed: start.completed,
          copies: view,
          directory: this.naming.directory,
          maxLineBytes: this.options.maxLineBytes,
          hardCapBytes: this.options.hardCapBytes,
          events: this.options.events,
          readFailures: this.unreadableCopies,
        }),
    );
    // A file found as its .gz has no plain size to tell how much it holds: if it leaves unread
    // (it cannot be read, and maxbackup deletes it), the checkpoint's size is the loss to report.
    if (entry) file.knownSize = entry.size;
    this.options.events.fileFound({ path: fullPath, fingerprint, offset: start.offset, origin: start.origin, completed: start.completed });
    this.files.set(fingerprint.hash, file);
    return file;
  }

  /**
   * Truncation in place (copytruncate, or `> audit.log`): the size fell below what was read, or
   * the first line changed. The old generation keeps any other copy (the copytruncate backup);
   * the file at this inode is identified again as a new generation read from offset 0.
   */
  private async wasTruncated(file: DiscoveredFile, copy: FileCopy, previousSize: number): Promise<boolean> {
    const readTo = file.reader.readTo;
    const shrank = copy.size < previousSize || copy.size < readTo;
    if (!shrank) {
      const sameStart = await file.reader.stillStartsAsBefore(copy);
      if (sameStart !== false) return false;
    }
    this.options.events.truncated({ path: path.join(this.naming.directory, copy.name), readTo, sizeNow: copy.size });
    file.liveLeftByTruncation = true;
    await this.detach(copy, file);
    return true;
  }

  private async detach(copy: FileCopy, file: DiscoveredFile): Promise<void> {
    // Its last copy may be leaving: a loss report must still say which file it was.
    file.reader.rememberName();
    this.copiesByInode.delete(`${copy.dev}:${copy.ino}`);
    const index = file.copies.indexOf(copy);
    if (index >= 0) file.copies.splice(index, 1);
    await file.reader.drop(copy);
    this.unreadableCopies.left(copy);
  }

  /** Copies no longer in the directory: a plain one stays readable through its open handle. */
  private async forgetVanished(seen: Set<FileCopy>): Promise<void> {
    for (const { copy, file } of [...this.copiesByInode.values()]) {
      if (seen.has(copy)) continue;
      copy.onDisk = false;
      if (!file.reader.holds(copy)) await this.detach(copy, file);
    }
  }

  private refreshLiveness(file: DiscoveredFile): void {
    const wasLive = file.live;
    file.live = file.copies.some((copy) => copy.onDisk && !copy.compressed && copy.name === this.naming.liveName);
    if (wasLive && !file.live) {
      // A truncation was reported as such; the live name now holds a new generation.
      if (!file.liveLeftByTruncation) this.options.events.rotated({ path: file.reader.path, readTo: file.reader.completeOffset });
    }
    file.liveLeftByTruncation = false;
  }

  /** Closes the handles of files read and acknowledged to their end; unlinked copies leave. */
  private async closeFinished(): Promise<void> {
    for (const file of this.files.values()) {
      if (!file.reader.completed) continue;
      await file.reader.closeIfCompleted();
      // Closed and unlinked: its inode number is free for the next file the apiserver creates.
      for (const copy of [...file.copies]) if (!copy.onDisk) await this.detach(copy, file);
    }
  }

  /**
   * Checkpoint entries still unmatched once the directory was seen settled were removed while the
   * agent was down; except one an unreadable file may be: it stays until that file can be read
   * (and is matched, from its checkpoint offset) or leaves.
   */
  private settleCheckpointEntries(): void {
    for (const [hash, entry] of this.unmatched) {
      if (this.heldByUnreadable(entry)) continue;
      this.unmatched.delete(hash);
      if (entry.completed || entry.offset >= entry.size) {
        this.finished.set(hash, { entry: { ...entry, completed: true }, goneAt: Date.now() });
        continue;
      }
      this.reportLoss(entry.fingerprint, entry.path, entry.offset, entry.size, 'deleted while the agent was not running');
    }
  }

  /** Forgets files that are done and gone, and reports files that vanished with unread bytes. */
  private async releaseGone(): Promise<void> {
    for (const file of [...this.files.values()]) {
      if (file.copies.length > 0) continue;
      file.absentScans += 1;
      if (file.absentScans < SETTLED_SCANS_BEFORE_GONE) continue;
      this.files.delete(file.reader.key);
      if (file.reader.completed) {
        this.finished.set(file.reader.key, { entry: this.entryOf(file), goneAt: Date.now() });
        this.options.events.forgotten({ fingerprint: file.reader.fingerprint });
        continue;
      }
      const from = file.reader.completeOffset;
      this.reportLoss(file.reader.fingerprint, file.reader.path, from, Math.max(file.knownSize, from), 'deleted or truncated before it was read to its end');
    }
  }

  private expireFinished(): void {
    const retention = this.options.finishedRetentionMs ?? FINISHED_RETENTION_MS;
    const now = Date.now();
    for (const [hash, { goneAt }] of this.finished) if (now - goneAt >= retention) this.finished.delete(hash);
  }

  private entryOf(file: DiscoveredFile, acknowledgedTo?: number): CheckpointEntry {
    const copy = file.firstCopy;
    const offset = Math.max(file.reader.ackedOffset, acknowledgedTo ?? 0);
    return {
      fingerprint: file.reader.fingerprint,
      offset,
      size: Math.max(file.knownSize, offset),
      completed: file.reader.completedAt(offset),
      path: file.reader.path,
      dev: copy?.dev ?? 0,
      ino: copy?.ino ?? 0,
    };
  }

  private reportLoss(fingerprint: Fingerprint, filePath: string, from: number, to: number, reason: string): void {
    if (to <= from) return;
    this.options.events.lost({ path: filePath, fingerprint, fromByte: from, toByte: to, reason });
  }
}
