import type { FileHandle } from 'node:fs/promises';

/** The part of a FileHandle that writeAll uses. */
export type WritableHandle = Pick<FileHandle, 'write' | 'writev'>;

/**
 * Writes `parts` (`total` bytes in all) in order with one writev, which spares copying a batch
 * into one buffer first. A write may end short (a signal, a nearly full disk): the rest is then
 * written from where it stopped, so the file never holds a batch's parts out of order.
 */
export async function writeAll(handle: WritableHandle, parts: readonly Buffer[], total: number): Promise<void> {
  let written = (await handle.writev(parts as Buffer[])).bytesWritten;
  if (written >= total) return;
  const rest = Buffer.concat(parts, total);
  while (written < total) written += (await handle.write(rest, written)).bytesWritten;
}
