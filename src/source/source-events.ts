import type { Fingerprint } from './fingerprint.js';

/** Why a file starts where it starts (see start-position). */
export type StartOrigin = 'checkpoint' | 'start-at-beginning' | 'start-at-end' | 'created-while-running' | 'replay';

/**
 * Everything the file source has to report, in one interface. The source imports no logger and
 * no metrics registry: whoever runs it (the agent) decides what each event becomes, a log line, a
 * counter or both. Paths are full paths.
 */
export interface SourceEvents {
  /** A file is tracked from now on, read from `offset`. */
  fileFound(event: { path: string; fingerprint: Fingerprint; offset: number; origin: StartOrigin; completed: boolean }): void;
  /** `--replay`: this file is sent again from its start although the checkpoint had it up to `acknowledged`. */
  replaying(event: { path: string; fingerprint: Fingerprint; acknowledged: number; size: number }): void;
  /** The live file was renamed away (lumberjack) and a new one takes its name; it is read to its end. */
  rotated(event: { path: string; readTo: number }): void;
  /** The live file was truncated in place (copytruncate, `> audit.log`): a new generation starts at 0. */
  truncated(event: { path: string; readTo: number; sizeNow: number }): void;
  /** A file vanished before it was read to its end: bytes [fromByte, toByte) can never be shipped. */
  lost(event: { path: string; fingerprint: Fingerprint; fromByte: number; toByte: number; reason: string }): void;
  /**
   * A file of the log cannot be opened or read (reported once until it can, or leaves): a name
   * discovery cannot identify, or a copy of an identified file its reader cannot open or read;
   * `code` is the errno code. It is tried again with backoff, and at once when it changes.
   */
  unreadable(event: { path: string; code: string; error: string }): void;
  /**
   * A file reported unreadable was opened: it is read from its checkpoint offset if it has one (a
   * copy of an identified file: from the last line read).
   */
  readableAgain(event: { path: string; unreadableForMs: number }): void;
  /** A file reported unreadable left the directory before it could ever be read. */
  unreadableGone(event: { path: string; unreadableForMs: number }): void;
  /** A `.gz` ended without its trailer (still being written, or cut short); read again when it changes. */
  gzipIncomplete(event: { path: string; readTo: number; error: string }): void;
  /** A copy was renamed or deleted between the scan and the read; the next scan looks for it again. */
  copyMoved(event: { path: string }): void;
  /** A file was read and acknowledged to its end and is gone from disk: no longer tracked. */
  forgotten(event: { fingerprint: Fingerprint }): void;
  /** The log directory cannot be listed (reported once until it can). */
  directoryUnlistable(event: { directory: string; error: string }): void;
  /** The log directory can be listed again. */
  directoryListable(event: { directory: string }): void;
  /** The filesystem watcher failed; the stat poll goes on. */
  watchFailed(event: { directory: string; error: string }): void;
}
