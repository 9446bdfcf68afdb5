/**
 * What stat said of a directory entry that could not be read: a change to any of it (a chmod or
 * chown moves the change time, a new file at the name moves the inode) is worth a try at once.
 */
export interface EntryStamp {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** A file of the log the agent cannot open or read now. */
export interface UnreadableFile {
  readonly path: string;
  /** The errno code (`EACCES`, `EISDIR`, `ENOENT` for a symbolic link to nothing…). */
  readonly code: string;
  readonly error: string;
  /** When it was first found unreadable, epoch ms. */
  readonly sinceMs: number;
  /** Failed attempts to open it so far. */
  readonly attempts: number;
  /** Undefined when not even stat could look at it. */
  readonly stamp: EntryStamp | undefined;
  /** It was in the directory at the first scan, so `--start-at` applies to it once readable. */
  readonly onDiskAtFirstScan: boolean;
}

interface Tracked {
  file: UnreadableFile;
  retryAtMs: number;
}

/** First wait before an unchanged unreadable file is tried again; doubled after every failure. */
const RETRY_MIN_MS = 1_000;
/** Longest wait: a permission granted without touching the file (a group added) is seen within it. */
const RETRY_MAX_MS = 30_000;

/**
 * The files of the log that could not be opened, each reported once and tried again with a
 * growing backoff, or at once when stat shows it changed. An unreadable file cannot be told
 * apart from the others (its first line is out of reach), so it holds back nothing but the
 * checkpoint entry it may be (see FileDiscovery.heldByUnreadable).
 */
export class UnreadableFiles {
  private readonly byPath = new Map<string, Tracked>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly backoff: { minMs: number; maxMs: number } = { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS },
  ) {}

  /** Whether opening `path` is due: it is not known unreadable, it changed, or its backoff passed. */
  retryDue(path: string, stamp: EntryStamp | undefined): boolean {
    const known = this.byPath.get(path);
    if (!known) return true;
    return !sameStamp(known.file.stamp, stamp) || this.now() >= known.retryAtMs;
  }

  /** Records a failed attempt; true the first time, when it is to be reported. */
  failed(path: string, error: NodeJS.ErrnoException, stamp: EntryStamp | undefined, onDiskAtFirstScan: boolean): boolean {
    const known = this.byPath.get(path)?.file;
    const attempts = (known?.attempts ?? 0) + 1;
    const wait = Math.min(this.backoff.maxMs, this.backoff.minMs * 2 ** (attempts - 1));
    const file: UnreadableFile = {
      path,
      code: error.code ?? 'EIO',
      error: error.message,
      sinceMs: known?.sinceMs ?? this.now(),
      attempts,
      stamp,
      // Another inode at the name is another file: it was not there at the first scan.
      onDiskAtFirstScan: known && known.stamp?.dev === stamp?.dev && known.stamp?.ino === stamp?.ino ? known.onDiskAtFirstScan : onDiskAtFirstScan,
    };
    this.byPath.set(path, { file, retryAtMs: this.now() + wait });
    return known === undefined;
  }

  /** The record of `path`, if it is unreadable. */
  get(path: string): UnreadableFile | undefined {
    return this.byPath.get(path)?.file;
  }

  /** No longer unreadable (read, or gone): its record, if it had one. */
  remove(path: string): UnreadableFile | undefined {
    const known = this.byPath.get(path)?.file;
    this.byPath.delete(path);
    return known;
  }

  /** Whether an unreadable file is at this inode. */
  atInode(dev: number, ino: number): boolean {
    for (const { file } of this.byPath.values()) if (file.stamp?.dev === dev && file.stamp.ino === ino) return true;
    return false;
  }

  list(): UnreadableFile[] {
    return [...this.byPath.values()].map(({ file }) => file);
  }
}

function sameStamp(a: EntryStamp | undefined, b: EntryStamp | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
