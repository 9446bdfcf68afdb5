import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

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
