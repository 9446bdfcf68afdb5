import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The directory does not exist and cannot be created, is not a directory, or cannot be written. */
export class UnusableDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableDirectoryError';
  }
}

/**
 * `mkdir -p` that gives up: Node's `mkdir(…, { recursive: true })` loops forever, at full CPU and
 * deaf to signals, on a path under /proc (the kernel answers ENOENT for a parent that exists).
 * Missing ancestors are created one at a time, each failure ends it, and the result must be
 * writable. Synchronous: the dead-letter file creates its directory from a synchronous append.
 */
export function ensureUsableDirectory(directory: string): void {
  const missing: string[] = [];
  let current = path.resolve(directory);
  for (;;) {
    const kind = entryKind(current);
    if (kind === 'directory') break;
    if (kind === 'other') throw new UnusableDirectoryError(`${current} exists and is not a directory`);
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && entryKind(dir) === 'directory') continue;
      throw new UnusableDirectoryError(`cannot create ${dir}: ${(error as Error).message}`);
    }
  }
  try {
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new UnusableDirectoryError(`${path.resolve(directory)} is not writable: ${(error as Error).message}`);
  }
}

function entryKind(entry: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(entry).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new UnusableDirectoryError(`cannot use ${entry}: ${(error as Error).message}`);
  }
}
