import type { AuditEvent } from '../../audit/audit-event.js';
import type { AuditRecord } from '../../pipeline/audit-record.js';
import { lastMemberNamed, parseValueAt } from '../../pipeline/lazy-event.js';

/**
 * The top-level members `names` of a record's event, as JSON.parse would give them, in a plain
 * object the event-field readers take. Read from the line's bytes while the record still is the
 * line the scanner read: the lazily parsed event would answer the same, through a proxy and a memo
 * per event, which showed in the Kafka catch-up profile. A record that was parsed whole or
 * rewritten answers from its event.
 */
export function messageFieldsOf(record: AuditRecord, names: readonly string[]): AuditEvent {
  const line = record.scannedLine?.();
  if (line === undefined) return record.event;
  const { bytes, members } = line;
  const fields: Record<string, unknown> = {};
  for (const name of names) {
    const at = lastMemberNamed(bytes, members, name);
    if (at >= 0) fields[name] = parseValueAt(bytes, members[at + 2]!, members[at + 3]!);
  }
  return fields as AuditEvent;
}
