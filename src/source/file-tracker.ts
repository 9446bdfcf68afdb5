import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import type { AgentMetrics } from '../observability/metrics.js';
import { LogFileNaming, type LogFileName } from './backup-names.js';
import { fingerprintGzipFile, fingerprintPlainFile, stillStartsWith, type Fingerprint } from './fingerprint.js';
import { TrackedFile, type PhysicalFile } from './tracked-file.js';

/** Where a file the agent has not seen before starts being read. */
export type StartPosition = (file: {
  fingerprint: Fingerprint;
  /** The open plain file, when the file was found as a plain file. */
  handle?: PhysicalFile['handle'];
  /** The backup's path, when the file was found only as a `.gz`. */
  gzipPath?: string;
  size: number;
}) => Promise<number>;

/** What the checkpoint remembers of a file, used to resume it and to report what was lost. */
export interface RememberedFile {
  fingerprint: Fingerprint;
  offset: number;
  size: number;
  completed: boolean;
  path: string;
  dev: number;
  ino: number;
}

export interface FileTrackerOptions {
  livePath: string;
  maxLineBytes: number;
  hardCapBytes: number;
  /** Offsets from the checkpoint, by fingerprint hash. */
  remembered: Map<string, RememberedFile>;
  /** Start position of a file that is neither remembered nor created after the agent started. */
  startOfUnknownFile: StartPosition;
  logger: Logger;
  metrics: AgentMetrics;
}

/**
 * Keeps the set of log files in step with the directory: finds the live file and its backups,
 * follows each file through rename, gzip and deletion by its fingerprint, detects truncation in
 * place, and reports data that vanished before it could be read. It only tracks state; reading
 * is the tailer's job.
 */
export class FileTracker {
  private readonly naming: LogFileNaming;
  private readonly files = new Map<string, TrackedFile>();
  private readonly physicalsByInode = new Map<string, { physical: PhysicalFile; file: TrackedFile }>();
  /** Files whose copies all vanished; kept one more scan in case a copy was just being made. */
  private readonly orphans = new Map<TrackedFile, number>();
  private readonly complainedAbout = new Set<string>();
  private scans = 0;
  private directoryMissingLogged = false;

  constructor(private readonly options: FileTrackerOptions) {
    this.naming = new LogFileNaming(options.livePath);
  }

  /** Tracked files in the order they were written: oldest backup first, the live file last. */
  ordered(): TrackedFile[] {
    return [...this.files.values()].sort((a, b) => (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0));
  }

  /** Number of plain-file handles held open. */
  openHandles(): number {
    let count = 0;
    for (const { physical } of this.physicalsByInode.values()) if (physical.handle) count += 1;
    return count;
  }

  /** Compares the directory with what is tracked and updates every file's state. */
  async scan(): Promise<void> {
    this.scans += 1;
    const names = await this.listDirectory();
    const seen = new Set<PhysicalFile>();
    let unidentified = 0;
    for (const name of names) {
      const classified = this.naming.classify(name);
      if (!classified) continue;
      const physical = await this.observe(classified);
      if (physical === 'unidentified') unidentified += 1;
      else if (physical) seen.add(physical);
    }
    await this.forgetVanished(seen);
    for (const file of this.files.values()) this.refreshLiveness(file);
    await this.closeFinishedHandles();
    // A file still unidentified (a .gz whose first bytes are not written yet, an unreadable file)
    // may be a copy of a tracked or remembered file: only once every file was identified can a
    // file missing from disk be forgotten or called lost. Forgetting too early would read its
    // .gz again as a new file.
    if (unidentified === 0) {
      this.reportForgottenCheckpointEntries();
      this.releaseFinished();
    }
    this.options.metrics.filesOpen.set(this.openHandles());
  }

  private async listDirectory(): Promise<string[]> {
    try {
      const names = await readdir(this.naming.directory);
      this.directoryMissingLogged = false;
      return names;
    } catch (error) {
      if (!this.directoryMissingLogged) {
        this.options.logger.warn('log directory cannot be listed; waiting for it', {
          directory: this.naming.directory,
          error: (error as Error).message,
        });
        this.directoryMissingLogged = true;
      }
      return [];
    }
  }

  /** Matches one directory entry to a tracked file; returns 'unidentified' if it cannot yet. */
  private async observe(name: LogFileName): Promise<PhysicalFile | 'unidentified' | undefined> {
    const fullPath = path.join(this.naming.directory, name.name);
    let info;
    try {
      info = await stat(fullPath, { bigint: false });
    } catch {
      // Renamed or deleted between readdir and stat, possibly with its .gz created after the
      // listing: decide nothing about it until a scan sees the directory settled.
      return 'unidentified';
    }
    const inodeKey = `${info.dev}:${info.ino}`;
    const known = this.physicalsByInode.get(inodeKey);
    if (known && !this.isSameFile(known.physical, name)) {
      this.detach(known.physical, known.file);
      return this.identify(name, fullPath, info.dev, info.ino, info.size);
    }
    if (known) {
      const { physical, file } = known;
      physical.name = name.name;
      physical.orderKey = name.orderKey;
      physical.onDisk = true;
      const previousSize = physical.size;
      physical.size = info.size;
      if (!physical.compressed) {
        if (name.live && (await this.wasTruncated(file, physical, previousSize))) return this.observe(name);
        file.knownSize = Math.max(file.knownSize, info.size);
      }
      if (physical.compressed && file.gzipRetryAtSize !== undefined && file.gzipRetryAtSize !== info.size) {
        file.gzipRetryAtSize = undefined;
      }
      return physical;
    }
    return this.identify(name, fullPath, info.dev, info.ino, info.size);
  }

  /**
   * Whether a known inode still holds the file we know. The only rename a log file goes through
   * is live → plain backup; any other change of name, or a live file we no longer hold open
   * (so its inode may have been freed and handed to a new file), means the inode was reused by a
   * different file and must be identified afresh.
   */
  private isSameFile(physical: PhysicalFile, name: LogFileName): boolean {
    if (physical.name === name.name) return !(name.live && !physical.handle);
    return physical.name === this.naming.liveName && !name.live && !name.compressed;
  }

  private async identify(
    name: LogFileName,
    fullPath: string,
    dev: number,
    ino: number,
    size: number,
  ): Promise<PhysicalFile | 'unidentified'> {
    const physical: PhysicalFile = { name: name.name, dev, ino, compressed: name.compressed, orderKey: name.orderKey, size, onDisk: true };
    let fingerprint: Fingerprint | undefined;
    let handle: FileHandle | undefined;
    try {
      handle = await open(fullPath, 'r');
      // The name may lead to another file than the one just stat'ed (logrotate's numbered copies
      // shift names): fingerprint only the inode the rest of the scan knows it by.
      const opened = await handle.stat();
      if (opened.dev !== dev || opened.ino !== ino) {
        await handle.close();
        return 'unidentified';
      }
      if (name.compressed) {
        fingerprint = await fingerprintGzipFile(handle);
        await handle.close();
      } else {
        physical.handle = handle;
        fingerprint = await fingerprintPlainFile(handle);
      }
    } catch (error) {
      await handle?.close().catch(() => undefined);
      // Renamed or deleted since the directory was listed: the next scan finds it where it went.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'unidentified';
      this.complainOnce(fullPath, 'audit log file cannot be read; it will be retried every scan', error);
      return 'unidentified';
    }
    if (!fingerprint) {
      await physical.handle?.close();
      return 'unidentified'; // No complete first line yet (a new or half-written file).
    }
    this.complainedAbout.delete(fullPath);
    const file = await this.fileFor(fingerprint, physical);
    file.physicals.push(physical);
    if (!physical.compressed) file.knownSize = Math.max(file.knownSize, size);
    this.physicalsByInode.set(`${dev}:${ino}`, { physical, file });
    this.orphans.delete(file);
    if (file.completed) await closeHandle(physical); // Nothing left to read from it.
    return physical;
  }

  private async fileFor(fingerprint: Fingerprint, physical: PhysicalFile): Promise<TrackedFile> {
    const existing = this.files.get(fingerprint.hash);
    if (existing) return existing;
    const remembered = this.options.remembered.get(fingerprint.hash);
    let offset: number;
    let completed = false;
    if (remembered) {
      this.options.remembered.delete(fingerprint.hash);
      offset = remembered.offset;
      completed = remembered.completed;
    } else if (this.scans === 1) {
      offset = await this.options.startOfUnknownFile({
        fingerprint,
        ...(physical.handle ? { handle: physical.handle } : { gzipPath: path.join(this.naming.directory, physical.name) }),
        size: physical.size,
      });
    } else {
      offset = 0; // Created while the agent runs: every line of it is new.
    }
    const file = new TrackedFile(fingerprint, offset, this.options.maxLineBytes, this.options.hardCapBytes);
    file.readComplete = completed;
    this.options.logger.debug('tracking a new file', { file: physical.name, fingerprint: fingerprint.hash, offset, completed });
    this.files.set(fingerprint.hash, file);
    return file;
  }

  /**
   * Truncation in place (copytruncate, or `> audit.log`): the size fell below what was read, or
   * the first line changed. The old generation keeps any other copy (the copytruncate backup);
   * the file at this inode is identified again as a new generation read from offset 0.
   */
  private async wasTruncated(file: TrackedFile, physical: PhysicalFile, previousSize: number): Promise<boolean> {
    const readTo = file.splitter.completeOffset + file.splitter.pendingBytes;
    const shrank = physical.size < previousSize || physical.size < readTo;
    if (!shrank && physical.handle && (await stillStartsWith(physical.handle, file.fingerprint))) return false;
    if (!shrank && !physical.handle) return false;
    this.options.metrics.truncations.inc();
    this.options.logger.warn('audit log truncated in place; reading it again from offset 0 as a new generation', {
      path: path.join(this.naming.directory, physical.name),
      readTo,
      sizeNow: physical.size,
    });
    this.detach(physical, file);
    await closeHandle(physical);
    return true;
  }

  private detach(physical: PhysicalFile, file: TrackedFile): void {
    this.physicalsByInode.delete(`${physical.dev}:${physical.ino}`);
    const index = file.physicals.indexOf(physical);
    if (index >= 0) file.physicals.splice(index, 1);
    if (file.reading?.physical === physical) {
      void file.reading.chunks.close();
      file.reading = undefined;
      file.restartFromLastCompleteLine();
    }
    if (file.physicals.length === 0) this.orphans.set(file, this.scans);
  }

  /** Copies no longer in the directory: a plain one stays readable through its open handle. */
  private async forgetVanished(seen: Set<PhysicalFile>): Promise<void> {
    for (const [inodeKey, { physical, file }] of [...this.physicalsByInode]) {
      if (seen.has(physical)) continue;
      physical.onDisk = false;
      const stillReadable = physical.handle !== undefined || file.reading?.physical === physical;
      if (!stillReadable) {
        this.physicalsByInode.delete(inodeKey);
        const index = file.physicals.indexOf(physical);
        if (index >= 0) file.physicals.splice(index, 1);
        if (file.physicals.length === 0) this.orphans.set(file, this.orphans.get(file) ?? this.scans);
      }
    }
  }

  private refreshLiveness(file: TrackedFile): void {
    const wasLive = file.live;
    file.live = file.physicals.some((physical) => physical.onDisk && !physical.compressed && physical.name === this.naming.liveName);
    if (wasLive && !file.live) {
      this.options.metrics.rotations.inc();
      this.options.logger.info('audit log rotated', { file: file.displayName, readTo: file.splitter.completeOffset });
    }
  }

  /** Closes the handles of files read to their end; one no longer on disk leaves its file. */
  private async closeFinishedHandles(): Promise<void> {
    for (const file of this.files.values()) {
      if (!file.completed) continue;
      for (const physical of [...file.physicals]) {
        await closeHandle(physical);
        // Closed and unlinked: its inode number is free for the next file the apiserver creates.
        if (!physical.onDisk) this.detach(physical, file);
      }
    }
  }

  /**
   * Forgets files that are done and gone, and reports files that vanished with unread bytes.
   * An orphan gets one extra scan: a copytruncate copy may appear just after the truncation.
   */
  private releaseFinished(): void {
    for (const file of [...this.files.values()]) {
      const orphanedAt = this.orphans.get(file);
      // One scan's grace, for finished files too: a listing taken while files are renamed may
      // show a copy under neither name (logrotate's numbered copies shift every rotation), and a
      // finished file forgotten then would be read again from its start when its .gz turns up.
      if (orphanedAt === undefined || file.physicals.length > 0 || orphanedAt >= this.scans) continue;
      if (file.completed) {
        this.forget(file);
        continue;
      }
      const from = file.splitter.completeOffset;
      const to = Math.max(file.knownSize, from);
      this.reportLoss(file.fingerprint, file.displayName, from, to, 'deleted or truncated before it was read to its end');
      this.forget(file);
    }
  }

  private forget(file: TrackedFile): void {
    this.options.logger.debug('file done and gone; no longer tracked', { fingerprint: file.key });
    this.files.delete(file.key);
    this.orphans.delete(file);
    for (const physical of file.physicals) this.physicalsByInode.delete(`${physical.dev}:${physical.ino}`);
    this.options.metrics.fileLagBytes.remove(file.key);
  }

  /** Remembered files not found on disk were removed while the agent was not running. */
  private reportForgottenCheckpointEntries(): void {
    for (const [hash, remembered] of this.options.remembered) {
      this.options.remembered.delete(hash);
      if (remembered.completed || remembered.offset >= remembered.size) continue;
      this.reportLoss(remembered.fingerprint, remembered.path, remembered.offset, remembered.size, 'deleted while the agent was not running');
    }
  }

  private reportLoss(fingerprint: Fingerprint, name: string, from: number, to: number, why: string): void {
    if (to <= from) return;
    this.options.metrics.bytesLost.inc(to - from);
    this.options.logger.error('audit data lost: file gone before it was read to its end', {
      reason: why,
      file: name,
      fingerprint: fingerprint.hash,
      lostFromByte: from,
      lostToByte: to,
      lostBytes: to - from,
    });
  }

  private complainOnce(fullPath: string, message: string, error: unknown): void {
    if (this.complainedAbout.has(fullPath)) return;
    this.complainedAbout.add(fullPath);
    this.options.logger.error(message, { path: fullPath, error: (error as Error).message });
  }
}

async function closeHandle(physical: PhysicalFile): Promise<void> {
  const handle = physical.handle;
  physical.handle = undefined;
  await handle?.close();
}
