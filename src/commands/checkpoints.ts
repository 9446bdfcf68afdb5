import { stat } from 'node:fs/promises';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';

/** One row of the `checkpoints` table. */
interface PositionRow {
  file: string;
  fingerprint: string;
  offset: number;
  sizeOnDisk: string;
  lag: string;
  state: string;
}

/**
 * `kube-audit-forwarder checkpoints`: prints the stored position of every tracked file and how far
 * behind it is, from the checkpoint alone (the agent need not run). Exit 1 if no checkpoint.
 */
export async function printCheckpoints(directory: string, asJson: boolean, out: (text: string) => void): Promise<number> {
  const outcome = await new CheckpointStore(directory).load();
  for (const problem of outcome.problems) out(`warning: ${problem}`);
  if (outcome.source === 'none') {
    out(`no checkpoint in ${directory}`);
    return 1;
  }
  const rows: PositionRow[] = [];
  /** The size the agent had seen when it wrote the checkpoint: a file deleted before the offset reached it lost the rest. */
  const knownSizes: number[] = [];
  for (const file of outcome.data.files) {
    knownSizes.push(file.size);
    const size = await stat(file.path).then(
      (info) => info.size,
      () => undefined,
    );
    const compressed = file.path.endsWith('.gz');
    const lag = file.completed ? 0 : size !== undefined && !compressed ? Math.max(0, size - file.offset) : undefined;
    rows.push({
      file: file.path,
      fingerprint: file.fingerprint.hash.slice(0, 12),
      offset: file.offset,
      sizeOnDisk: size === undefined ? 'gone' : String(size),
      lag: lag === undefined ? '?' : String(lag),
      state: file.completed ? 'done' : size === undefined ? 'missing' : 'reading',
    });
  }
  if (asJson) {
    const files = rows.map((row, index) => ({ ...row, knownSize: knownSizes[index] }));
    out(JSON.stringify({ generation: outcome.source, writtenAt: outcome.data.writtenAt, files }, null, 2));
    return 0;
  }
  out(`checkpoint ${outcome.source === 'current' ? '' : '(previous generation) '}written ${outcome.data.writtenAt}`);
  out(formatTable(rows));
  return 0;
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
  const widths = columns.map((column) => Math.max(headers[column].length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]): string => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(columns.map((column) => headers[column])), ...rows.map((row) => line(columns.map((column) => String(row[column]))))].join(
    '\n',
  );
}
