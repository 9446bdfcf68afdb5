import type { Batch } from '../pipeline/audit-record.js';

const NEWLINE = Buffer.from('\n');

/** A batch as JSON lines: each event's bytes followed by a newline, in one buffer. */
export function batchAsJsonLines(batch: Batch): Buffer {
  const parts: Buffer[] = [];
  for (const record of batch.records) parts.push(record.value, NEWLINE);
  return Buffer.concat(parts, batch.bytes + batch.records.length);
}
