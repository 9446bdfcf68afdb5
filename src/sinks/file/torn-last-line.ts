import type { FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * An agent killed in the middle of a write leaves the output file ending inside a line. Those
 * bytes were never acknowledged, so their events are sent again from the checkpoint; left in
 * place, the torn line would fuse with the first line appended after it into one line that is
 * no valid JSON. Cuts the file back to just after its last newline and returns how many bytes
 * went. Files that are not regular (a FIFO, /dev/stdout) are left alone.
 */
export async function cutTornLastLine(handle: FileHandle): Promise<number> {
  const stats = await handle.stat();
  if (!stats.isFile() || stats.size === 0) return 0;
  const buffer = Buffer.allocUnsafe(CHUNK);
  let end = stats.size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const newline = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (newline >= 0) {
      const keep = start + newline + 1;
      if (keep < stats.size) await handle.truncate(keep);
      return stats.size - keep;
    }
    end = start;
  }
  await handle.truncate(0);
  return stats.size;
}
