import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';

export interface DirectoryChanges {
  /** A file was created, renamed or removed: the set of files must be scanned again. */
  onFilesChanged(): void;
  /** A file grew: there may be more to read. */
  onFileGrew(): void;
}

/** How often a directory that cannot be watched (not there yet, watch failed) is tried again. */
const RETRY_MS = 1000;
/**
 * Growth events are passed on at most this often. kube-apiserver writes once per event, so a busy
 * server raises thousands of modify events a second; waking the reader for each costs more than
 * the reading. Far below the batch linger, so it adds no latency worth the name.
 */
const GROWTH_THROTTLE_MS = 20;

/**
 * Watches the log directory (inotify through fs.watch) so new lines and rotations are picked up
 * at once. It is only a hint: inotify can overflow or miss renames on some filesystems, so the
 * tailer also scans on a timer and never relies on an event having arrived.
 *
 * fs.watch rather than chokidar: chokidar answers every event on the directory by listing it and
 * lstat-ing each entry, which at 10 000 events/s took half of the agent's CPU (profile of the
 * steady-state benchmark). The names in the events are not used; the tailer's scan is the truth.
 */
export class DirectoryWatcher {
  private watcher?: FSWatcher;
  private retryTimer?: NodeJS.Timeout;
  private growthTimer?: NodeJS.Timeout;
  private stopped = false;
  private failureLogged = false;

  constructor(
    private readonly livePath: string,
    private readonly changes: DirectoryChanges,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const directory = path.dirname(this.livePath);
    try {
      this.watcher = watch(directory, { persistent: true }, (eventType) => {
        if (eventType === 'rename') this.changes.onFilesChanged();
        else this.growthTimer ??= setTimeout(() => this.passOnGrowth(), GROWTH_THROTTLE_MS);
      });
    } catch (error) {
      this.failed(directory, error);
      return;
    }
    this.failureLogged = false;
    // The directory itself went away (or the watch broke): the scan notices; watch again later.
    this.watcher.on('error', (error) => this.failed(directory, error));
    this.changes.onFilesChanged();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.growthTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private passOnGrowth(): void {
    this.growthTimer = undefined;
    this.changes.onFileGrew();
  }

  private failed(directory: string, error: unknown): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (!this.failureLogged) {
      this.failureLogged = true;
      this.logger.warn('directory watch failed; relying on the stat poll and trying again', { directory, error: String(error) });
    }
    if (!this.stopped) this.retryTimer = setTimeout(() => this.start(), RETRY_MS);
  }
}
