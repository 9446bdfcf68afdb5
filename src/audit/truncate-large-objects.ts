import type { AuditRecord } from '../pipeline/audit-record.js';

/** Annotation set on an event whose large objects were replaced; names what was replaced. */
export const TRUNCATED_ANNOTATION = 'kube-audit-forwarder.io/truncated';

const LARGE_OBJECT_FIELDS = ['responseObject', 'requestObject'] as const;

/**
 * Shrinks an event that is too large to ship by replacing its request/response bodies, largest
 * first, with a marker giving the original size, until it fits in `maxBytes` or no body is left.
 * The audit facts (who, what, when, result) are kept, which is what a SIEM needs; the original
 * line is still on disk. The result may still exceed `maxBytes` (huge annotations): callers check.
 */
export function truncateLargeObjects(record: AuditRecord, maxBytes: number): AuditRecord {
  const event = { ...record.event };
  const sizes = LARGE_OBJECT_FIELDS.filter((field) => event[field] !== undefined)
    .map((field) => ({ field, bytes: Buffer.byteLength(JSON.stringify(event[field])) }))
    .sort((a, b) => b.bytes - a.bytes);
  const replaced: string[] = [];
  let value = record.value;
  for (const { field, bytes } of sizes) {
    if (value.length <= maxBytes && replaced.length > 0) break;
    event[field] = { [TRUNCATED_ANNOTATION]: true, originalBytes: bytes };
    replaced.push(field);
    const annotations = isStringMap(event.annotations) ? event.annotations : {};
    event.annotations = {
      ...annotations,
      [TRUNCATED_ANNOTATION]: `${replaced.join(',')} replaced; original event ${record.value.length} bytes`,
    };
    value = Buffer.from(JSON.stringify(event));
  }
  return { event, value, origin: record.origin };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
