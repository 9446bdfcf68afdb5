import { existsSync, readFileSync } from 'node:fs';

/** What arrived in a file sink's output, keyed the way consumers dedupe: `auditID/stage`. */
export interface Delivered {
  /** Keys in arrival order (duplicates included). */
  keys: string[];
  counts: Map<string, number>;
  lines: Buffer[];
}

export function recordKey(auditId: string | undefined, stage: string | undefined): string {
  return `${auditId}/${stage}`;
}

const AUDIT_ID = /"auditID":"([^"]*)"/;
const STAGE = /"stage":"([^"]*)"/;

/** `auditID/stage` of a line (its first 4 KiB), or undefined if it carries no auditID. */
export function keyOfLine(line: Buffer): string | undefined {
  const text = line.toString('utf8', 0, Math.min(line.length, 4096));
  const auditId = AUDIT_ID.exec(text)?.[1];
  return auditId === undefined ? undefined : recordKey(auditId, STAGE.exec(text)?.[1]);
}

export function readFileSinkOutput(file: string): Delivered {
  const keys: string[] = [];
  const counts = new Map<string, number>();
  const lines: Buffer[] = [];
  if (!existsSync(file)) return { keys, counts, lines };
  const bytes = readFileSync(file);
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a, start)) {
    const line = bytes.subarray(start, end);
    start = end + 1;
    lines.push(line);
    const text = line.toString('utf8', 0, Math.min(line.length, 4096));
    const key = recordKey(AUDIT_ID.exec(text)?.[1], STAGE.exec(text)?.[1]);
    keys.push(key);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { keys, counts, lines };
}

/** Written keys that never arrived. */
export function missingKeys(written: Iterable<string>, delivered: Delivered): string[] {
  const missing: string[] = [];
  for (const key of written) if (!delivered.counts.has(key)) missing.push(key);
  return missing;
}

/** Deliveries beyond the first of each key. */
export function duplicateCount(delivered: Delivered): number {
  let duplicates = 0;
  for (const count of delivered.counts.values()) duplicates += count - 1;
  return duplicates;
}
