import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { LogFileNaming } from './backup-names.js';

export interface DirectoryChanges {
  /** A file was created, renamed or removed: the set of files must be scanned again. */
  onFilesChanged(): void;
  /** A file grew: there may be more to read. */
  onFileGrew(): void;
  /** The watch failed; the reader's own stat poll goes on. */
  onWatchFailed(error: string): void;
}

/**
 * How often chokidar stats the directory and each log file. A file that grew is passed on at most
 * once per interval, so this bounds both the reader's wake-ups and the latency they add (half of
 * it on average), far below the batch linger and the 2 s latency target. At least chokidar's own
 * 50 ms throttle of change events, or it would drop growth that follows the first.
 */
export const WATCH_POLL_INTERVAL_MS = 100;
/** `.gz` backups only matter when they appear or vanish, which the directory poll sees. */
const GZIP_POLL_INTERVAL_MS = 1000;

/**
 * Watches the log directory with chokidar so new lines and rotations are picked up within one
 * poll interval. It is only a hint: the source also scans on a timer and never relies on an event
 * having arrived.
 *
 * chokidar polls (`usePolling`) instead of using inotify: kube-apiserver writes once per event, and
 * chokidar answers every inotify event in a directory, a file's growth included, by listing the
 * directory again and lstat-ing each entry, which at thousands of events a second kept the
 * directory listed back to back (the steady-state profile showed it).
 * Polled, the directory is listed only when its mtime changes (a file created, renamed or
 * removed), the files are stat-ed by libuv without running JavaScript until one changed, and the
 * reader wakes once per interval with all that was written meanwhile. Growth needs no throttle of
 * its own: the interval spaces the events and the source's WakeSignal coalesces them. Polling
 * also works where inotify does not (some network and overlay filesystems). Files that are not
 * part of the log are not watched.
 */
export class DirectoryWatcher {
  private watcher?: FSWatcher;

  constructor(
    private readonly livePath: string,
    private readonly changes: DirectoryChanges,
  ) {}

  start(): void {
    const naming = new LogFileNaming(this.livePath);
    const directory = naming.directory;
    const absoluteDirectory = path.resolve(directory);
    const foreign = (entry: string): boolean =>
      path.resolve(entry) !== absoluteDirectory &&
      path.resolve(path.dirname(entry)) === absoluteDirectory &&
      naming.classify(path.basename(entry)) === undefined;
    this.watcher = watch(directory, {
      depth: 0,
      ignoreInitial: true,
      persistent: true,
      alwaysStat: false,
      usePolling: true,
      interval: WATCH_POLL_INTERVAL_MS,
      binaryInterval: GZIP_POLL_INTERVAL_MS,
      ignored: foreign,
    });
    this.watcher
      .on('add', () => this.changes.onFilesChanged())
      .on('unlink', () => this.changes.onFilesChanged())
      .on('change', () => this.changes.onFileGrew())
      .on('error', (error) => this.changes.onWatchFailed(String(error)));
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
  }
}
