import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/**
 * A file's content identity: the hash of its first line. kube-apiserver starts every file with a
 * complete event whose `auditID` is unique, so the first line tells files apart where device and
 * inode do not (inode reuse) and follows a file through rename and gzip (new inode, same content).
 */
export interface Fingerprint {
  hash: string;
  /** Bytes hashed: the first line without its newline, or PREFIX_CAP bytes of a longer line. */
  length: number;
}

/** Hashing more than this of a very long first line adds nothing: the auditID is near the start. */
export const PREFIX_CAP = 64 * 1024;

export function fingerprintOf(bytes: Buffer): Fingerprint | undefined {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0 && bytes.length < PREFIX_CAP) return undefined;
  const length = newline < 0 ? PREFIX_CAP : Math.min(newline, PREFIX_CAP);
  const hash = createHash('sha256').update(bytes.subarray(0, length)).digest('hex').slice(0, 32);
  return { hash, length };
}

/** Fingerprint of a plain file, or undefined while its first line is still incomplete. */
export async function fingerprintPlainFile(handle: FileHandle): Promise<Fingerprint | undefined> {
  const buffer = Buffer.allocUnsafe(PREFIX_CAP + 1);
  let filled = 0;
  // Read in a loop: a single read may return fewer bytes than asked for.
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
    if (buffer.subarray(0, filled).includes(0x0a)) break;
  }
  return fingerprintOf(buffer.subarray(0, filled));
}

/**
 * Checks cheaply that a plain file still starts with the line that gave `expected`: reads only
 * that line. A mismatch at the same inode means the file was truncated and rewritten.
 */
export async function stillStartsWith(handle: FileHandle, expected: Fingerprint): Promise<boolean> {
  const buffer = Buffer.allocUnsafe(expected.length + 1);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  if (bytesRead < expected.length) return false;
  const actual = fingerprintOf(expected.length < PREFIX_CAP ? buffer.subarray(0, bytesRead) : buffer.subarray(0, PREFIX_CAP));
  return actual?.hash === expected.hash;
}

/**
 * What the start of a `.gz` shows: its fingerprint once the first line is in it, and whether the
 * gzip trailer was read, so its content is final: a complete `.gz` without a complete first line
 * (an empty backup gzipped) can never be fingerprinted.
 */
export interface GzipStart {
  fingerprint: Fingerprint | undefined;
  complete: boolean;
}

/**
 * Fingerprint of a gzipped backup from its decompressed first line. Works on a `.gz` that is
 * still being written, as long as the first line is already in it. Reads through an open handle
 * (left open), so the fingerprint is that of the inode the caller checked.
 */
export function fingerprintGzipFile(handle: FileHandle): Promise<GzipStart> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const input = handle.createReadStream({ start: 0, autoClose: false });
    const gunzip = createGunzip();
    const finish = (complete: boolean): void => {
      if (settled) return;
      settled = true;
      input.destroy();
      gunzip.destroy();
      resolve({ fingerprint: fingerprintOf(Buffer.concat(chunks, size)), complete });
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(0x0a) || size > PREFIX_CAP) finish(false);
    });
    gunzip.on('end', () => finish(true));
    // A half-written or unreadable .gz yields no identity yet; the next scan tries again.
    gunzip.on('error', () => finish(false));
    input.on('error', () => finish(false));
    input.pipe(gunzip);
  });
}

/**
 * Opens a log file and fingerprints it (a `.gz` by its decompressed first line), provided the
 * name still leads to the inode a directory listing stat'ed: numbered copies shift names, and an
 * identity taken from another inode would be pinned on the wrong file. Undefined when it moved.
 * `gzipComplete`: a `.gz` whose trailer was read (see GzipStart). The handle is left open for
 * the caller (a plain file's reader keeps it), and closed on failure.
 */
export async function openAndFingerprint(
  fullPath: string,
  compressed: boolean,
  inode: { dev: number; ino: number },
): Promise<{ handle: FileHandle; fingerprint: Fingerprint | undefined; gzipComplete: boolean } | undefined> {
  const handle = await open(fullPath, 'r');
  try {
    const opened = await handle.stat();
    if (opened.dev !== inode.dev || opened.ino !== inode.ino) {
      await handle.close();
      return undefined;
    }
    if (!compressed) return { handle, fingerprint: await fingerprintPlainFile(handle), gzipComplete: false };
    const { fingerprint, complete } = await fingerprintGzipFile(handle);
    return { handle, fingerprint, gzipComplete: complete };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}
