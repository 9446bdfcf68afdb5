import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { StartOrigin } from './source-events.js';

/**
 * Offset just past the last complete line of a plain file of `size` bytes: where `--start-at end`
 * starts, so a partly written last line is read whole once it is finished.
 */
export async function endOfLastCompleteLine(handle: FileHandle, size: number): Promise<number> {
  const window = 64 * 1024;
  for (let end = size; end > 0; end -= window) {
    const start = Math.max(0, end - window);
    const buffer = Buffer.allocUnsafe(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
  }
  return 0;
}

/** Decompressed length of a complete .gz backup: its end, for `--start-at end`. */
export function decompressedSize(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let size = 0;
    createReadStream(path)
      .on('error', reject)
      .pipe(createGunzip())
      .on('data', (chunk: Buffer) => {
        size += chunk.length;
      })
      .on('end', () => resolve(size))
      .on('error', reject);
  });
}

/** How `--start-at` and `--replay` were set, and what the checkpoint gave at start. */
export interface StartSettings {
  /** Where a file the checkpoint does not know starts, if it is on disk at the first scan. */
  startAt: 'beginning' | 'end';
  /** Ignore the checkpoint's positions at this start and send every file on disk again. */
  replay: boolean;
  /** The checkpoint was there but no generation could be read: nothing may be skipped. */
  checkpointUnusable: boolean;
}

export interface StartDecision {
  offset: number;
  completed: boolean;
  origin: StartOrigin;
}

/**
 * The one place that decides where a newly tracked file starts:
 * - `--replay`: every file on disk at this start is read from 0, whatever the checkpoint says;
 * - a file the checkpoint knows resumes at its acknowledged offset;
 * - a file created while the agent runs is new: from 0;
 * - a file on disk at the first scan that the checkpoint does not know takes `--start-at`, except
 *   when the checkpoint was unreadable: then it is read from 0 (duplicates, never a silent skip).
 */
export async function decideStart(
  settings: StartSettings,
  file: { entry?: { offset: number; completed: boolean }; foundAtFirstScan: boolean; endOfFile: () => Promise<number> },
): Promise<StartDecision> {
  if (settings.replay && (file.entry || file.foundAtFirstScan)) return { offset: 0, completed: false, origin: 'replay' };
  if (file.entry) {
    return { offset: file.entry.offset, completed: file.entry.completed, origin: 'checkpoint' };
  }
  if (!file.foundAtFirstScan) return { offset: 0, completed: false, origin: 'created-while-running' };
  if (settings.startAt === 'end' && !settings.checkpointUnusable) {
    return { offset: await file.endOfFile(), completed: false, origin: 'start-at-end' };
  }
  return { offset: 0, completed: false, origin: 'start-at-beginning' };
}
