import { open } from 'node:fs/promises';

const CHUNK_BYTES = 1024 * 1024;

/** How many times `pattern` occurs in a file, read in chunks (the file may be larger than memory). */
export async function countOccurrences(file: string, pattern: Buffer): Promise<number> {
  const handle = await open(file, 'r');
  try {
    let count = 0;
    // The last pattern.length - 1 bytes of a chunk are kept, so a match across chunks is found once.
    let carried = Buffer.alloc(0);
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) return count;
      const data = Buffer.concat([carried, chunk.subarray(0, bytesRead)]);
      let from = 0;
      for (let at = data.indexOf(pattern, from); at >= 0; at = data.indexOf(pattern, from)) {
        count += 1;
        from = at + pattern.length;
      }
      carried = Buffer.from(data.subarray(Math.max(from, data.length - pattern.length + 1)));
    }
  } finally {
    await handle.close();
  }
}
