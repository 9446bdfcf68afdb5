import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import type { Logger } from 'winston';

export interface DirectoryChanges {
  /** A file was created, renamed or removed: the set of files must be scanned again. */
  onFilesChanged(): void;
  /** A file grew: there may be more to read. */
  onFileGrew(): void;
}

/**
 * Watches the log directory with chokidar so new lines and rotations are picked up at once.
 * It is only a hint: inotify can overflow or miss renames on some filesystems, so the tailer
 * also scans on a timer and never relies on an event having arrived.
 */
export class DirectoryWatcher {
  private watcher?: FSWatcher;

  constructor(
    private readonly livePath: string,
    private readonly changes: DirectoryChanges,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const directory = path.dirname(this.livePath);
    this.watcher = watch(directory, { depth: 0, ignoreInitial: true, persistent: true, alwaysStat: false });
    this.watcher
      .on('add', () => this.changes.onFilesChanged())
      .on('unlink', () => this.changes.onFilesChanged())
      .on('change', () => this.changes.onFileGrew())
      .on('error', (error) => {
        this.logger.warn('directory watch failed; relying on the stat poll', { directory, error: String(error) });
      });
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
  }
}
