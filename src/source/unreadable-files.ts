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

/** How long an unchanged unreadable file waits before it is tried again. */
export interface RetryBackoff {
  /** After the first failure; doubled after every other. */
  minMs: number;
  maxMs: number;
}

/** First wait before an unchanged unreadable file is tried again; doubled after every failure. */
const RETRY_MIN_MS = 1_000;
/** Longest wait: a permission granted without touching the file (a group added) is seen within it. */
const RETRY_MAX_MS = 30_000;

/** What failed when a file was tried. */
export interface FailedAttempt {
  /** Full path it was tried at. */
  path: string;
  error: NodeJS.ErrnoException;
  /** What stat said of it, undefined when not even stat could look at it. */
  stamp: EntryStamp | undefined;
  onDiskAtFirstScan: boolean;
}

/**
 * Files of the log that could not be opened or read, each reported once and tried again with a
 * growing backoff, or at once when stat shows it changed. `Key` says which file a record is of:
 * discovery keeps one record by path for the names it cannot identify (an unreadable file cannot
 * be told apart from the others: its first line is out of reach, so it holds back nothing but
 * the checkpoint entry it may be, see FileDiscovery.heldByUnreadable), and one by copy for the
 * identified copies a reader cannot read (see UnreadableCopies).
 */
export class UnreadableFiles<Key = string> {
  private readonly byKey = new Map<Key, Tracked>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly backoff: RetryBackoff = { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS },
  ) {}

  /** Whether trying `key` is due: it is not known unreadable, it changed, or its backoff passed. */
  retryDue(key: Key, stamp: EntryStamp | undefined): boolean {
    const known = this.byKey.get(key);
    if (!known) return true;
    return !sameStamp(known.file.stamp, stamp) || this.now() >= known.retryAtMs;
  }

  /** Records a failed attempt; true the first time, when it is to be reported. */
  failed(key: Key, { path, error, stamp, onDiskAtFirstScan }: FailedAttempt): boolean {
    const known = this.byKey.get(key)?.file;
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
    this.byKey.set(key, { file, retryAtMs: this.now() + wait });
    return known === undefined;
  }

  /** The record of `key`, if it is unreadable. */
  get(key: Key): UnreadableFile | undefined {
    return this.byKey.get(key)?.file;
  }

  /** No longer unreadable (read, or gone): its record, if it had one. */
  remove(key: Key): UnreadableFile | undefined {
    const known = this.byKey.get(key)?.file;
    this.byKey.delete(key);
    return known;
  }

  /** Whether an unreadable file is at this inode. */
  atInode(dev: number, ino: number): boolean {
    for (const { file } of this.byKey.values()) if (file.stamp?.dev === dev && file.stamp.ino === ino) return true;
    return false;
  }

  list(): UnreadableFile[] {
    return [...this.byKey.values()].map(({ file }) => file);
  }
}

/** A copy of what stat said: the record must keep it as it was, not follow later changes. */
export function stampOf(info: EntryStamp): EntryStamp {
  return { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
}

function sameStamp(a: EntryStamp | undefined, b: EntryStamp | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
