import { copyFileSync, existsSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/**
 * One run of logrotate with its default numbered names and `copytruncate`, `compress`,
 * `delaycompress` and `rotate <keep>`: the oldest copy beyond `keep` is deleted, `.N`/`.N.gz`
 * shift to `.N+1` (highest first, plain renames that keep the inode), the live file is copied to
 * `.1` and truncated in place, and `.2` is gzipped (delaycompress leaves the newest copy plain).
 */
export function rotateNumbered(livePath: string, keep: number): void {
  for (const suffix of ['', '.gz']) {
    if (existsSync(`${livePath}.${keep}${suffix}`)) unlinkSync(`${livePath}.${keep}${suffix}`);
  }
  for (let number = keep - 1; number >= 1; number -= 1) {
    for (const suffix of ['', '.gz']) {
      const from = `${livePath}.${number}${suffix}`;
      if (existsSync(from)) renameSync(from, `${livePath}.${number + 1}${suffix}`);
    }
  }
  copyFileSync(livePath, `${livePath}.1`);
  truncateSync(livePath, 0);
  const second = `${livePath}.2`;
  if (existsSync(second)) {
    writeFileSync(`${second}.gz`, gzipSync(readFileSync(second)));
    unlinkSync(second);
  }
}
