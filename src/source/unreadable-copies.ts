import path from 'node:path';
import type { FileCopy } from './file-copy.js';
import type { SourceEvents } from './source-events.js';
import { UnreadableFiles, stampOf, type RetryBackoff, type UnreadableFile } from './unreadable-files.js';

/**
 * What a file's reader tells of the copies it opens and reads, and asks before it tries one: a
 * copy that could not be read is tried again only when this says so.
 */
export interface CopyReadFailures {
  /** Whether reading `copy` is due: it never failed, stat shows it changed, or its backoff passed. */
  retryDue(copy: Readonly<FileCopy>): boolean;
  /** Opening or reading `copy` failed. */
  failed(copy: Readonly<FileCopy>, error: NodeJS.ErrnoException): void;
  /** `copy` was read. */
  read(copy: Readonly<FileCopy>): void;
}

/**
 * The copies of identified files that their reader could not open or read: a `.gz` whose read
 * permission went after discovery fingerprinted it (it is opened by name only when reading
 * starts), or a read through a held handle that fails. They are what the names discovery cannot
 * identify are: counted in `unreadable_files`, reported once, tried again with the same backoff
 * and at once when their stat changes, and reported again readable or gone. Kept by copy, not by
 * name: a copy's name shifts (logrotate's numbered `.gz`), and another file may take the old one.
 */
export class UnreadableCopies implements CopyReadFailures {
  private readonly copies: UnreadableFiles<Readonly<FileCopy>>;

  constructor(
    private readonly directory: string,
    private readonly events: SourceEvents,
    private readonly now: () => number = Date.now,
    backoff?: RetryBackoff,
  ) {
    this.copies = new UnreadableFiles(now, backoff);
  }

  retryDue(copy: Readonly<FileCopy>): boolean {
    return this.copies.retryDue(copy, stampOf(copy));
  }

  failed(copy: Readonly<FileCopy>, error: NodeJS.ErrnoException): void {
    const fullPath = this.pathOf(copy);
    // The file was identified already: where its reading starts is decided, so the first scan does
    // not matter. The stamp is the copy as the last scan saw it: a change made after that scan
    // (the chmod that caused this failure) brings one more try at the next scan, then the backoff.
    if (this.copies.failed(copy, { path: fullPath, error, stamp: stampOf(copy), onDiskAtFirstScan: false })) {
      this.events.unreadable({ path: fullPath, code: error.code ?? 'EIO', error: error.message });
    }
  }

  read(copy: Readonly<FileCopy>): void {
    const known = this.copies.remove(copy);
    if (known) this.events.readableAgain({ path: this.pathOf(copy), unreadableForMs: this.now() - known.sinceMs });
  }

  /** The copy no longer belongs to its file (gone from the directory, truncated, its inode reused). */
  left(copy: Readonly<FileCopy>): void {
    const known = this.copies.remove(copy);
    if (known) this.events.unreadableGone({ path: this.pathOf(copy), unreadableForMs: this.now() - known.sinceMs });
  }

  /** The copies that cannot be read now, each at the name it was last tried at (a rename moves its change time, so it is tried again at once). */
  list(): UnreadableFile[] {
    return this.copies.list();
  }

  private pathOf(copy: Readonly<FileCopy>): string {
    return path.join(this.directory, copy.name);
  }
}
