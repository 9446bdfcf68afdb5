import type { Batch } from '../pipeline/audit-record.js';

const NEWLINE = Buffer.from('\n');

/** A batch as JSON lines: each event's bytes followed by a newline, as the parts to write in order. */
export function jsonLineParts(batch: Batch): Buffer[] {
  const parts: Buffer[] = [];
  for (const record of batch.records) parts.push(record.value, NEWLINE);
  return parts;
}

/** The same, in one buffer. */
export function batchAsJsonLines(batch: Batch): Buffer {
  return Buffer.concat(jsonLineParts(batch), batch.bytes + batch.records.length);
}
