import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointEntry } from '../checkpoint/checkpoint-schema.js';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { LogFileNaming } from '../source/backup-names.js';
import { openAndFingerprint, type Fingerprint } from '../source/fingerprint.js';
import { decompressedSize } from '../source/start-position.js';

/** One row of the `checkpoints` table; undefined prints as `-` (does not apply) or `?` (unknown). */
interface PositionRow {
  file: string;
  fingerprint: string | undefined;
  /** The stored position; undefined for a file the checkpoint does not know. */
  offset: number | undefined;
  /** Decompressed bytes on disk; `gone` when no file of the log has this identity any more. */
  sizeOnDisk: number | 'gone' | undefined;
  /** Bytes on disk still to ship. */
  lag: number | undefined;
  state: string;
}

/** A file of the log found on disk, identified as the agent identifies it. */
interface FileOnDisk {
  path: string;
  orderKey: string;
  /** Undefined while its first line is incomplete: the agent does not track it yet either. */
  fingerprint: Fingerprint | undefined;
  compressed: boolean;
  /** Bytes on disk: a plain file's size, or the compressed size of a `.gz`. */
  bytesOnDisk: number;
}

/**
 * `kube-audit-forwarder checkpoints`: prints, for every file of the audit log on disk and every
 * file the checkpoint remembers, the stored position and how far behind it is (the agent need
 * not run). Exit 1 if there is no checkpoint.
 *
 * Stored positions are matched to files by their fingerprint, as the agent matches them: after
 * a rotation while the agent was down, `audit.log` is a new file (its whole size still to ship)
 * and the position belongs to the backup it became, whatever the checkpoint called it.
 */
export async function printCheckpoints(
  { directory, logPath }: { directory: string; logPath: string },
  asJson: boolean,
  out: (text: string) => void,
): Promise<number> {
  const outcome = await new CheckpointStore(directory).load();
  for (const problem of outcome.problems) out(`warning: ${problem}`);
  if (outcome.source === 'none') {
    out(`no checkpoint in ${directory}`);
    return 1;
  }
  const onDisk = await filesOfLog(logPath);
  const entries = new Map(outcome.data.files.map((entry) => [entry.fingerprint.hash, entry]));
  const rows: Array<PositionRow & { knownSize: number }> = [];
  const untracked: PositionRow[] = [];
  const matched = new Set<string>();
  for (const file of onDisk) {
    const entry = file.fingerprint && entries.get(file.fingerprint.hash);
    // A finished backup's size is the one the checkpoint knows: a .gz is not decompressed for it
    // (a hundred 100 MB backups would take a minute).
    const size = entry && entry.completed && file.compressed ? entry.size : await decompressedSizeOf(file);
    if (entry) {
      matched.add(entry.fingerprint.hash);
      rows.push({ ...trackedRow(entry, file.path, size), knownSize: entry.size });
    } else {
      untracked.push(untrackedRow(file, size));
    }
  }
  // Remembered files no longer on disk: finished, or deleted before they were read to the end.
  const logDirectory = path.dirname(logPath);
  const gone = outcome.data.files
    .filter((entry) => !matched.has(entry.fingerprint.hash))
    .map((entry) => ({ ...(path.dirname(entry.path) === logDirectory ? goneRow(entry) : elsewhereRow(entry)), knownSize: entry.size }));
  rows.unshift(...gone);
  if (asJson) {
    out(JSON.stringify({ generation: outcome.source, writtenAt: outcome.data.writtenAt, files: rows.map(jsonRow), untracked: untracked.map(jsonRow) }, null, 2));
    return 0;
  }
  out(`checkpoint ${outcome.source === 'current' ? '' : '(previous generation) '}written ${outcome.data.writtenAt}`);
  out(formatTable([...rows, ...untracked]));
  return 0;
}

/** The live file and its backups in the log's directory, oldest first, each with its identity. */
async function filesOfLog(logPath: string): Promise<FileOnDisk[]> {
  const naming = new LogFileNaming(logPath);
  const names = await readdir(naming.directory).catch(() => []);
  const files: FileOnDisk[] = [];
  for (const name of names) {
    const classified = naming.classify(name);
    if (!classified) continue;
    const fullPath = path.join(naming.directory, name);
    const info = await stat(fullPath).catch(() => undefined);
    const opened = info && (await openAndFingerprint(fullPath, classified.compressed, info).catch(() => undefined));
    if (!info || !opened) continue; // Renamed or deleted while listed, or unreadable.
    await opened.handle.close();
    files.push({ path: fullPath, orderKey: classified.orderKey, fingerprint: opened.fingerprint, compressed: classified.compressed, bytesOnDisk: info.size });
  }
  return files.sort((a, b) => (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0));
}

/** What offsets count: decompressed bytes; undefined for a `.gz` that cannot be read to its end. */
function decompressedSizeOf(file: FileOnDisk): Promise<number | undefined> {
  return file.compressed ? decompressedSize(file.path).catch(() => undefined) : Promise.resolve(file.bytesOnDisk);
}

function trackedRow(entry: CheckpointEntry, filePath: string, size: number | undefined): PositionRow {
  const common = { file: filePath, fingerprint: shortHash(entry.fingerprint), offset: entry.offset, sizeOnDisk: size };
  if (entry.completed) return { ...common, lag: 0, state: 'done' };
  if (size === undefined) return { ...common, lag: undefined, state: 'reading' };
  // Same first line but shorter than the position: truncated and written again; read from 0.
  if (size < entry.offset) return { ...common, lag: size, state: 'truncated' };
  return { ...common, lag: size - entry.offset, state: 'reading' };
}

function untrackedRow(file: FileOnDisk, size: number | undefined): PositionRow {
  const fingerprint = file.fingerprint && shortHash(file.fingerprint);
  return { file: file.path, fingerprint, offset: undefined, sizeOnDisk: size, lag: size, state: 'new' };
}

function goneRow(entry: CheckpointEntry): PositionRow {
  const finished = entry.completed || entry.offset >= entry.size;
  return {
    file: entry.path,
    fingerprint: shortHash(entry.fingerprint),
    offset: entry.offset,
    sizeOnDisk: 'gone',
    lag: finished ? 0 : undefined,
    // Unread bytes of a deleted file cannot be shipped any more: the next agent reports them lost.
    state: finished ? 'done' : `lost ${entry.size - entry.offset} bytes`,
  };
}

/** A file last seen in another directory than --path's: this listing cannot say what became of it. */
function elsewhereRow(entry: CheckpointEntry): PositionRow {
  return { file: entry.path, fingerprint: shortHash(entry.fingerprint), offset: entry.offset, sizeOnDisk: undefined, lag: undefined, state: 'not under --path' };
}

function shortHash(fingerprint: Fingerprint): string {
  return fingerprint.hash.slice(0, 12);
}

/** JSON keeps numbers as numbers; what does not apply or is not known is null. */
function jsonRow<R extends PositionRow>(row: R): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value ?? null]));
}

function formatTable(rows: PositionRow[]): string {
  const headers: Record<keyof PositionRow, string> = {
    file: 'FILE',
    fingerprint: 'FINGERPRINT',
    offset: 'OFFSET',
    sizeOnDisk: 'SIZE',
    lag: 'LAG BYTES',
    state: 'STATE',
  };
  const columns = Object.keys(headers) as Array<keyof PositionRow>;
  const cellsOf = (row: PositionRow): string[] => columns.map((column) => cellText(column, row[column]));
  const body = rows.map(cellsOf);
  const widths = columns.map((column, index) => Math.max(headers[column].length, ...body.map((cells) => cells[index]!.length)));
  // Numbers align right, as in `df` or `ls -l`, so their digits line up.
  const numeric = new Set<keyof PositionRow>(['offset', 'sizeOnDisk', 'lag']);
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) => (numeric.has(columns[index]!) ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => headers[column])), ...body.map(line)].join('\n');
}

function cellText(column: keyof PositionRow, value: PositionRow[keyof PositionRow]): string {
  if (value !== undefined) return String(value);
  // Offset and fingerprint do not apply to a file the checkpoint does not know; a size may be unknown.
  return column === 'offset' || column === 'fingerprint' ? '-' : '?';
}
