import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { keyOfLine } from '../../helpers/sink-output.js';

/** The log's files in a directory: `audit.log`, lumberjack's `audit-<time>.log` and their `.gz`. */
export function auditFileNames(dir: string): string[] {
  return readdirSync(dir).filter((name) => /^audit(-[0-9T.-]+)?\.log(\.gz)?$/.test(name));
}

/**
 * Every `auditID/stage` the apiserver's files on disk hold, read back as an auditor would: plain
 * files and `.gz` backups (one the mill was still writing is read as far as it goes), complete
 * lines only.
 */
export function auditKeysOnDisk(dir: string): Set<string> {
  const keys = new Set<string>();
  for (const name of auditFileNames(dir)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // the mill removed it meanwhile
      throw error;
    }
    if (name.endsWith('.gz')) bytes = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a, start)) {
      const key = keyOfLine(bytes.subarray(start, end));
      if (key === undefined) throw new Error(`${name}: a line at byte ${start} without auditID`);
      keys.add(key);
      start = end + 1;
    }
  }
  return keys;
}
