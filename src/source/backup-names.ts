import path from 'node:path';
import { escapeRegExp } from '../escape-reg-exp.js';

/**
 * Recognises the files that belong to one audit log: the live file and the backups that
 * lumberjack v2 (kube-apiserver's rotation) makes from it: `<name>-2006-01-02T15-04-05.000<ext>`,
 * UTC time of rotation, optionally gzipped as `<…><ext>.gz`; and the copies an external logrotate
 * with `copytruncate` makes (Kubernetes 1.36+ with `--audit-log-maxsize=0`): `<name><ext>-<date
 * suffix>` with `dateext`, or logrotate's default numbered copies `<name><ext>.1`, `.2`, …, the
 * highest the oldest; either optionally `.gz`.
 */
export interface LogFileName {
  /** The file's name inside the log directory. */
  name: string;
  /** Sorts files in the order they were written: backups by rotation time, the live file last. */
  orderKey: string;
  compressed: boolean;
  live: boolean;
}

/** Sorts after every timestamp, so the live file always comes last. */
const LIVE_ORDER_KEY = '~live';

/**
 * Numbered copies sort by this minus their number, so `.2` comes before `.1`. logrotate's
 * `rotate` count is far below it; the prefix keeps them apart from timestamps.
 */
const NUMBERED_ORDER_BASE = 1_000_000_000;

export class LogFileNaming {
  readonly directory: string;
  readonly liveName: string;
  private readonly backupPattern: RegExp;
  private readonly copyPattern: RegExp;
  private readonly numberedPattern: RegExp;

  constructor(livePath: string) {
    this.directory = path.dirname(livePath);
    this.liveName = path.basename(livePath);
    const extension = path.extname(this.liveName);
    const stem = this.liveName.slice(0, this.liveName.length - extension.length);
    this.backupPattern = new RegExp(
      `^${escapeRegExp(stem)}-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3})${escapeRegExp(extension)}(\\.gz)?$`,
    );
    // dateext suffixes (20261127, 2026-11-27-1700, lumberjack-style timestamps) sort in time order.
    this.copyPattern = new RegExp(`^${escapeRegExp(this.liveName)}-([0-9][0-9T._-]*)(\\.gz)?$`);
    this.numberedPattern = new RegExp(`^${escapeRegExp(this.liveName)}\\.([1-9][0-9]{0,8})(\\.gz)?$`);
  }

  /** Classifies a directory entry; undefined for files that are not part of this log. */
  classify(name: string): LogFileName | undefined {
    if (name === this.liveName) return { name, orderKey: LIVE_ORDER_KEY, compressed: false, live: true };
    const numbered = this.numberedPattern.exec(name);
    if (numbered) {
      const orderKey = `#${NUMBERED_ORDER_BASE - Number(numbered[1])}`;
      return { name, orderKey, compressed: numbered[2] !== undefined, live: false };
    }
    const match = this.backupPattern.exec(name) ?? this.copyPattern.exec(name);
    if (!match) return undefined;
    return { name, orderKey: match[1]!, compressed: match[2] !== undefined, live: false };
  }
}
