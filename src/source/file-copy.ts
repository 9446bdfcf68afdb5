/**
 * One copy of a log file on disk, as discovery last saw it: the plain file (possibly renamed, or
 * unlinked and still held open by its reader) or its `.gz`. Discovery owns these fields and is
 * the only writer; a file's reader only looks at them to choose the copy it reads.
 */
export interface FileCopy {
  readonly dev: number;
  readonly ino: number;
  readonly compressed: boolean;
  /** Current name in the log directory (last known name once unlinked). */
  name: string;
  /** Sorts copies in the order they were written (see backup-names). */
  orderKey: string;
  /** Size on disk (compressed size for a .gz). */
  size: number;
  /** Last modification time seen, epoch ms. */
  mtimeMs: number;
  /** Last change time seen, epoch ms: a chmod or chown moves it, so a copy that could not be read is tried again at once. */
  ctimeMs: number;
  /** Seen in the latest directory scan. */
  onDisk: boolean;
}

/** What a reader may know of its file's copies: read-only. */
export interface CopiesView {
  readonly copies: ReadonlyArray<Readonly<FileCopy>>;
  /** Some copy is the live file: more lines may still come. */
  readonly live: boolean;
}
